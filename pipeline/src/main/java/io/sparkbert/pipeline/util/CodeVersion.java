package io.sparkbert.pipeline.util;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of the code that made an output, recorded in manifests. */
public final class CodeVersion {
    private static final String VERSION = load();

    private CodeVersion() {
    }

    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = CodeVersion.class.getResourceAsStream("/io/sparkbert/pipeline/version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
