package io.sparkbert.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Configuration as data: the files of conf/ give every option its default, a user's
 * {@code --config FILE} overrides them, and the command line overrides both.
 *
 * <p>Option {@code --some-option} of command {@code cmd} reads key {@code cmd.some-option}
 * ({@code bench tokenize} reads {@code bench.tokenize.*}). The defaults are read from the
 * directory named by the system property {@code sparkbert.conf.dir} (set by bin/sparkbert, so
 * edits to conf/ apply at once) or else from the copy of conf/ bundled in the application jar.
 */
public final class Settings implements CommandLine.IDefaultValueProvider {
    static final String CONF_DIR_PROPERTY = "sparkbert.conf.dir";
    private static final String BUNDLED = "sparkbert-conf/sparkbert.conf";

    private final Config config;

    Settings(Config config) {
        this.config = config;
    }

    /** Loads the defaults, with a user file (may be null) on top. */
    static Settings load(Path userFile) {
        ConfigParseOptions strict = ConfigParseOptions.defaults().setAllowMissing(false);
        Config defaults;
        String confDir = System.getProperty(CONF_DIR_PROPERTY);
        if (confDir != null && !confDir.isBlank()) {
            defaults = ConfigFactory.parseFile(Path.of(confDir, "sparkbert.conf").toFile(), strict);
        } else {
            defaults = ConfigFactory.parseResources(BUNDLED, strict);
        }
        Config config = defaults;
        if (userFile != null) {
            if (!Files.isRegularFile(userFile)) {
                throw new CommandLine.ParameterException(new CommandLine(new SparkBert()),
                        "config file not found: " + userFile);
            }
            config = ConfigFactory.parseFile(userFile.toFile(), strict).withFallback(defaults);
        }
        return new Settings(config.resolve());
    }

    /** Finds {@code --config FILE} (or {@code --config=FILE}) before picocli parses the rest. */
    static Path configOption(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        return null;
    }

    Config config() {
        return config;
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (!(argSpec instanceof OptionSpec option) || argSpec.command() == null) {
            return null;
        }
        String key = key(argSpec.command().qualifiedName(" "), option.longestName());
        if (key == null || !config.hasPath(key)) {
            return null;
        }
        ConfigValue value = config.getValue(key);
        Object unwrapped = value.unwrapped();
        if (unwrapped instanceof List<?> list) {
            return String.join(",", list.stream().map(String::valueOf).toList());
        }
        return String.valueOf(unwrapped);
    }

    /** "sparkbert bench tokenize" + "--warmup" → "bench.tokenize.warmup". */
    static String key(String qualifiedCommand, String optionName) {
        String[] words = qualifiedCommand.trim().split("\\s+");
        if (words.length < 2 || !optionName.startsWith("--")) {
            return null;
        }
        StringBuilder key = new StringBuilder();
        for (int i = 1; i < words.length; i++) {
            key.append(words[i]).append('.');
        }
        return key.append(optionName.substring(2)).toString();
    }

    /** A string setting, or a clear error naming the key. */
    String string(String path) {
        try {
            return config.getString(path);
        } catch (ConfigException e) {
            throw new IllegalStateException("configuration: " + e.getMessage(), e);
        }
    }
}
