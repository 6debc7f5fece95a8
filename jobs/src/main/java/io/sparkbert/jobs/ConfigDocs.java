package io.sparkbert.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The configuration reference (docs/configuration.md), rendered from the conf files themselves: every
 * key with its default and the comment above it. One source, so the docs cannot drift from the defaults
 * (a test compares the committed file with a fresh rendering).
 */
final class ConfigDocs {
    static final String MAIN = "sparkbert.conf";
    private static final Pattern INCLUDE = Pattern.compile("^\\s*include\\s+\"([^\"]+)\"", Pattern.MULTILINE);
    private static final ConfigParseOptions STRICT = ConfigParseOptions.defaults().setAllowMissing(false);

    /** One documented key: its full path, its default as HOCON, its comment. */
    record Entry(String key, String value, String comment, int line) {
    }

    private ConfigDocs() {
    }

    /** The conf files sparkbert.conf includes, in include order. */
    static List<String> includes(Path confDir) throws IOException {
        Matcher m = INCLUDE.matcher(Files.readString(confDir.resolve(MAIN), StandardCharsets.UTF_8));
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The *.conf files directly in conf/: sparkbert.conf, then its includes in order, then any others. */
    static List<String> confFiles(Path confDir) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        names.add(MAIN);
        names.addAll(includes(confDir));
        try (Stream<Path> files = Files.list(confDir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf")).sorted().forEach(names::add);
        }
        return new ArrayList<>(names);
    }

    /** Every key of one file (leaves, and objects that carry a comment), in the file's order. */
    static List<Entry> entries(Path file) throws IOException {
        Config config = ConfigFactory.parseFile(file.toFile(), STRICT);
        List<String> source = Files.readAllLines(file, StandardCharsets.UTF_8);
        String header = header(file);
        List<Entry> entries = new ArrayList<>();
        collect(config.root(), new ArrayList<>(), source, entries);
        entries.sort(Comparator.comparingInt(Entry::line));
        // a file's leading comment directly above its first key is the file's, not the key's
        return entries.stream().map(e -> !header.isEmpty() && e.comment().startsWith(header)
                ? new Entry(e.key(), e.value(), e.comment().substring(header.length()).trim(), e.line()) : e).toList();
    }

    private static void collect(ConfigObject object, List<String> path, List<String> source, List<Entry> out) {
        for (Map.Entry<String, ConfigValue> child : object.entrySet()) {
            List<String> childPath = new ArrayList<>(path);
            childPath.add(child.getKey());
            ConfigValue value = child.getValue();
            String comment = String.join(" ", value.origin().comments().stream().map(String::trim).toList()).trim();
            String key = ConfigUtil.joinPath(childPath);
            if (value.valueType() == ConfigValueType.OBJECT) {
                if (!comment.isEmpty() && !path.isEmpty()) {
                    out.add(new Entry(key, "", comment, value.origin().lineNumber()));
                }
                collect((ConfigObject) value, childPath, source, out);
            } else {
                out.add(new Entry(key, asWritten(child.getKey(), value, source), comment, value.origin().lineNumber()));
            }
        }
    }

    /** The value as the file writes it (1e-12, not 1.0E-12), when it sits on its key's line. */
    private static String asWritten(String name, ConfigValue value, List<String> source) {
        int line = value.origin().lineNumber();
        if (line >= 1 && line <= source.size()) {
            Matcher m = Pattern.compile("^\\s*\"?" + Pattern.quote(name) + "\"?\\s*[=:]\\s*(.*?)\\s*$")
                    .matcher(source.get(line - 1));
            if (m.matches() && !m.group(1).isEmpty() && !m.group(1).contains("#")) {
                return m.group(1);
            }
        }
        return value.render(ConfigRenderOptions.concise());
    }

    /** The leading comment block of a file, without the '#'. */
    static String header(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String trimmed = line.trim();
            if (!trimmed.startsWith("#")) {
                break;
            }
            lines.add(trimmed.replaceFirst("^#+\\s?", ""));
        }
        return String.join(" ", lines).trim();
    }

    /** The whole reference, as Markdown. */
    static String render(Path confDir) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("<!-- Generated from conf/ by `bin/sparkbert config --docs --output docs/configuration.md`. "
                + "Do not edit: edit the comments in conf/*.conf and regenerate (a test fails when this file is "
                + "out of date). -->\n");
        md.append("# Configuration reference\n\n");
        md.append(text(header(confDir.resolve(MAIN)))).append("\n\n");
        md.append("Show the effective values (after `--config FILE`) with `bin/sparkbert config --show [command]`.\n");
        List<String> included = includes(confDir);
        for (String name : confFiles(confDir)) {
            if (name.equals(MAIN)) {
                continue;
            }
            Path file = confDir.resolve(name);
            md.append("\n## conf/").append(name).append("\n\n");
            md.append(text(header(file))).append('\n');
            if (!included.contains(name)) {
                md.append("\n(Not included by conf/sparkbert.conf.)\n");
            }
            md.append('\n');
            table(md, entries(file));
        }
        renderPresets(md, confDir.resolve("model"));
        md.append("\n## Other files\n\n");
        md.append("- `conf/log4j2.properties`: logging of `bin/sparkbert` (log4j2 properties format); spark-submit "
                + "runs use the cluster's own logging configuration.\n");
        md.append("- `conf/examples/`: scheduling examples (a crontab line and an Airflow DAG for nightly "
                + "incremental preprocessing and co-occurrence counts); not read by sparkbert.\n");
        return md.toString();
    }

    private static void table(StringBuilder md, List<Entry> entries) {
        md.append("| key | default | meaning |\n|---|---|---|\n");
        for (Entry e : entries) {
            md.append("| `").append(e.key()).append("` | ")
                    .append(e.value().isEmpty() ? "" : "`" + cell(e.value()) + "`").append(" | ")
                    .append(cell(e.comment())).append(" |\n");
        }
    }

    /** conf/model/*.conf: one column per preset, in order of size. */
    private static void renderPresets(StringBuilder md, Path modelDir) throws IOException {
        if (!Files.isDirectory(modelDir)) {
            return;
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(modelDir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".conf"))
                    .sorted(Comparator.comparingLong(ConfigDocs::presetSize)
                            .thenComparing(p -> p.getFileName().toString()))
                    .toList();
        }
        Map<String, List<Entry>> presets = new LinkedHashMap<>();
        for (Path p : files) {
            presets.put(p.getFileName().toString().replaceFirst("\\.conf$", ""), entries(p));
        }
        if (presets.isEmpty()) {
            return;
        }
        md.append("\n## conf/model/*.conf: BERT presets\n\n");
        md.append("`bin/sparkbert init --preset NAME` reads `conf/model/NAME.conf`. ")
                .append(text(header(files.get(0)).replaceFirst("^BERT preset \"\\w+\" \\([^)]*\\): [^.]*\\.\\s*", "")))
                .append("\n\n");
        Map<String, Map<String, String>> byKey = new LinkedHashMap<>();
        Map<String, String> comments = new LinkedHashMap<>();
        presets.forEach((preset, entries) -> entries.forEach(e -> {
            byKey.computeIfAbsent(e.key(), k -> new LinkedHashMap<>()).put(preset, e.value());
            if (!e.comment().isEmpty()) {
                comments.putIfAbsent(e.key(), e.comment());
            }
        }));
        md.append("| key |");
        presets.keySet().forEach(p -> md.append(' ').append(p).append(" |"));
        md.append(" meaning |\n|---|");
        presets.keySet().forEach(p -> md.append("---|"));
        md.append("---|\n");
        byKey.forEach((key, values) -> {
            md.append("| `").append(key).append("` |");
            presets.keySet().forEach(p -> md.append(' ').append(values.containsKey(p) ? "`" + cell(values.get(p))
                    + "`" : "").append(" |"));
            md.append(' ').append(cell(comments.getOrDefault(key, ""))).append(" |\n");
        });
    }

    private static long presetSize(Path file) {
        Config c = ConfigFactory.parseFile(file.toFile());
        long hidden = c.hasPath("hidden-size") ? c.getLong("hidden-size") : 0;
        long layers = c.hasPath("num-hidden-layers") ? c.getLong("num-hidden-layers") : 0;
        return hidden * layers;
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    private static String text(String text) {
        return text.isEmpty() ? "" : text;
    }
}
