package io.sparkbert.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code config --show [command]}: the effective settings; {@code config --docs}: the configuration reference. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Show the effective configuration (conf/ defaults, then --config FILE) with where each "
                + "value comes from, or render the configuration reference from conf/*.conf.",
            "Examples: config --show preprocess; config --show bench tokenize --config my.conf; "
                + "config --docs --output docs/configuration.md"})
final class ConfigCommand implements Callable<Integer> {
    @Option(names = "--show", description = "Print the effective settings (the default).")
    boolean show;

    @Option(names = "--docs", description = "Render the Markdown reference of every key of conf/*.conf.")
    boolean docs;

    @Option(names = "--output", paramLabel = "FILE", description = "With --docs: write here instead of stdout.")
    Path output;

    @Parameters(arity = "0..*", paramLabel = "COMMAND", description = "Only this command's settings (e.g. vocab, "
            + "bench tokenize, spark).")
    List<String> command = new ArrayList<>();

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        if (docs) {
            if (show || !command.isEmpty()) {
                throw new SparkBert.UserError("--docs takes no command and excludes --show");
            }
            return renderDocs();
        }
        Config effective = config.settings().config();
        String path = String.join(".", command);
        if (!path.isEmpty() && !effective.hasPath(path)) {
            throw new SparkBert.UserError("no settings under '" + path + "' (top-level keys: "
                    + String.join(", ", effective.root().keySet().stream().sorted().toList()) + ")");
        }
        List<String> lines = new ArrayList<>();
        if (!path.isEmpty() && effective.getValue(path).valueType() != ConfigValueType.OBJECT) {
            lines.add(line(path, effective.getValue(path)));
        } else {
            Config subtree = path.isEmpty() ? effective : effective.getConfig(path);
            for (Map.Entry<String, ConfigValue> e : subtree.entrySet()) {
                String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                lines.add(line(key, e.getValue()));
            }
        }
        lines.stream().sorted().forEach(System.out::println);
        return 0;
    }

    private static String line(String key, ConfigValue value) {
        var origin = value.origin();
        String from = origin.filename() != null ? Path.of(origin.filename()).getFileName().toString()
                : origin.resource() != null ? origin.resource() : origin.description();
        String where = origin.lineNumber() > 0 ? from + ":" + origin.lineNumber() : from;
        return ConfigUtil.joinPath(ConfigUtil.splitPath(key)) + " = " + value.render(ConfigRenderOptions.concise())
                + "  # " + where;
    }

    private int renderDocs() throws IOException {
        String confDir = System.getProperty(Settings.CONF_DIR_PROPERTY);
        if (confDir == null || confDir.isBlank()) {
            throw new SparkBert.UserError("config --docs renders a checkout's conf/ (run it through bin/sparkbert)");
        }
        String markdown = ConfigDocs.render(Path.of(confDir));
        if (output == null) {
            System.out.print(markdown);
        } else {
            Path parent = output.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(output, markdown, StandardCharsets.UTF_8);
            System.err.println("config: wrote " + output);
        }
        return 0;
    }
}
