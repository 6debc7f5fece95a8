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
    /** The user's --config file alone (null without one), for checking its keys. */
    private final Config user;
    private final Path userFile;
    private final Config defaults;

    Settings(Config config) {
        this(config, null, null, config);
    }

    private Settings(Config config, Config user, Path userFile, Config defaults) {
        this.config = config;
        this.user = user;
        this.userFile = userFile;
        this.defaults = defaults;
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
            Config parsed;
            try {
                parsed = ConfigFactory.parseFile(userFile.toFile(), strict);
                config = parsed.withFallback(defaults).resolve();
            } catch (ConfigException e) {
                String message = e.getMessage();
                int line = e.origin() == null ? -1 : e.origin().lineNumber();
                String prefix = e.origin() == null ? "" : e.origin().description() + ": ";
                if (message.startsWith(prefix)) {
                    message = message.substring(prefix.length());
                }
                throw new CommandLine.ParameterException(new CommandLine(new SparkBert()),
                        "config file " + userFile + (line > 0 ? ":" + line : "") + ": " + message);
            }
            return new Settings(config, parsed, userFile, defaults.resolve());
        }
        return new Settings(config.resolve());
    }

    /**
     * Rejects a key of the user's --config file that no option reads and no default defines (a misspelt key was
     * silently ignored), naming the nearest valid key; {@code spark.conf.*} takes any Spark property.
     */
    void checkUserKeys(CommandLine root) {
        if (user == null) {
            return;
        }
        java.util.Set<String> valid = new java.util.TreeSet<>();
        defaults.withoutPath("spark.conf").entrySet().forEach(e -> valid.add(e.getKey()));
        collectOptionKeys(root, valid);
        List<String> unknown = new java.util.ArrayList<>();
        for (var entry : user.entrySet()) {
            String key = entry.getKey();
            if (!valid.contains(key) && !key.startsWith("spark.conf.")) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            java.util.Collections.sort(unknown);
            String key = unknown.get(0);
            String nearest = valid.stream().min(java.util.Comparator.comparingInt(v -> editDistance(key, v)))
                    .orElse("?");
            int line = user.getValue(key).origin().lineNumber();
            throw new CommandLine.ParameterException(new CommandLine(new SparkBert()),
                    "config file " + userFile + (line > 0 ? ":" + line : "") + ": unknown key '" + key
                            + "'; did you mean '" + nearest + "'?"
                            + (unknown.size() > 1 ? " (" + (unknown.size() - 1) + " more unknown: "
                            + String.join(", ", unknown.subList(1, unknown.size())) + ")" : ""));
        }
    }

    private static void collectOptionKeys(CommandLine command, java.util.Set<String> keys) {
        for (OptionSpec option : command.getCommandSpec().options()) {
            String key = key(command.getCommandSpec().qualifiedName(" "), option.longestName());
            if (key != null) {
                keys.add(key);
            }
        }
        for (CommandLine sub : command.getSubcommands().values()) {
            collectOptionKeys(sub, keys);
        }
    }

    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
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
