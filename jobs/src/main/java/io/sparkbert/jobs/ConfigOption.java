package io.sparkbert.jobs;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --config FILE}, shared by every command (SparkBert reads it before parsing, for defaults). */
final class ConfigOption {
    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file overriding conf/.")
    Path file;

    Settings settings() {
        return Settings.load(file);
    }
}
