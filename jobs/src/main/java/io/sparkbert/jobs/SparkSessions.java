package io.sparkbert.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import io.sparkbert.pipeline.util.SparkProgressListener;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/**
 * The Spark options every Spark command shares, and how a command gets its session: under
 * spark-submit the master and properties come from spark-submit; under bin/sparkbert Spark runs
 * embedded ({@code spark.master} from conf/spark.conf, {@code local[*]} by default) unless
 * {@code --master} names a cluster.
 */
public final class SparkSessions {
    static final String APP_JAR_PROPERTY = "sparkbert.app.jar";

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master (local[N], spark://host:port, yarn, k8s://...). Default: the one "
                    + "spark-submit sets, else spark.master of conf/spark.conf (local[*]).")
    String master;

    @Option(names = "--spark-conf", paramLabel = "KEY=VALUE",
            description = "A Spark property, e.g. --spark-conf spark.executor.memory=4g (repeatable).")
    Map<String, String> sparkConf;

    /**
     * The master a session would get: {@code --master}, else the one spark-submit set, else {@code spark.master}
     * of the configuration.
     */
    String master(Settings settings) {
        if (master != null) {
            return master;
        }
        // spark-submit passes it as a system property (what SparkConf reads), read here without loading Spark
        String submitted = System.getProperty("spark.master");
        return submitted != null ? submitted : settings.string("spark.master");
    }

    /**
     * The threads of a local master ({@code local}, {@code local[N]}, {@code local[*]}, with or without a
     * retry count), or 0 for any other master (a cluster, {@code local-cluster[...]}).
     */
    static int localThreads(String master) {
        java.util.regex.Matcher local = java.util.regex.Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?")
                .matcher(master.trim());
        if (!local.matches()) {
            return 0;
        }
        String threads = local.group(1);
        if (threads == null) {
            return 1;
        }
        return threads.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
    }

    /**
     * The Hadoop properties a session of this command would set from {@code spark.hadoop.KEY} Spark properties,
     * in the session's precedence: {@code --spark-conf}, then spark-submit's (system properties), then the
     * configured defaults ({@link #defaults}).
     */
    Map<String, String> hadoopProperties(String appName, Settings settings) {
        Map<String, String> spark = new java.util.LinkedHashMap<>(defaults(appName, settings));
        System.getProperties().stringPropertyNames().forEach(key -> spark.put(key, System.getProperty(key)));
        if (sparkConf != null) {
            spark.putAll(sparkConf);
        }
        Map<String, String> hadoop = new java.util.LinkedHashMap<>();
        spark.forEach((key, value) -> {
            if (key.startsWith("spark.hadoop.")) {
                hadoop.put(key.substring("spark.hadoop.".length()), value);
            }
        });
        return hadoop;
    }

    /**
     * The Spark properties this command gets unless spark-submit or {@code --spark-conf} set them: the command's
     * own ({@code <command>.spark-conf} of conf/) before everyone's ({@code spark.conf} of conf/spark.conf).
     */
    private static Map<String, String> defaults(String appName, Settings settings) {
        Map<String, String> defaults = new java.util.LinkedHashMap<>();
        String commandDefaults = appName + ".spark-conf";
        if (settings.config().hasPath(commandDefaults)) {
            putMissing(defaults, settings.config().getConfig(commandDefaults));
        }
        putMissing(defaults, settings.config().getConfig("spark.conf"));
        return defaults;
    }

    private static void putMissing(Map<String, String> properties, Config config) {
        config.entrySet().forEach(e -> properties.putIfAbsent(String.join(".", ConfigUtil.splitPath(e.getKey())),
                String.valueOf(e.getValue().unwrapped())));
    }

    /** Starts (or joins) the session for a command. */
    SparkSession start(String appName, Settings settings) {
        SparkConf conf = new SparkConf();
        conf.setAppName("sparkbert " + appName);
        conf.setMaster(master(settings));
        if (sparkConf != null) {
            sparkConf.forEach(conf::set);
        }
        // bin/sparkbert runs the driver from build output; executors of a real cluster need our
        // classes, so ship the shaded jar (spark-submit sets spark.jars itself).
        String appJar = System.getProperty(APP_JAR_PROPERTY);
        if (!conf.get("spark.master").startsWith("local") && !conf.contains("spark.jars") && appJar != null
                && !appJar.isBlank()) {
            conf.set("spark.jars", appJar);
        }
        defaults(appName, settings).forEach(conf::setIfMissing);
        if (!conf.get("spark.master").startsWith("local")) {
            ExecutorMemory.bound(conf);
        }
        try {
            return SparkSession.builder().config(conf).getOrCreate();
        } catch (Exception e) { // a bad --master or --spark-conf value (SparkException, …): Spark says which
            if (e instanceof SparkBert.UserError) {
                throw e;
            }
            String message = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new SparkBert.UserError("cannot start Spark with master " + conf.get("spark.master")
                    + (sparkConf == null || sparkConf.isEmpty() ? "" : " and --spark-conf " + sparkConf) + ": "
                    + message);
        }
    }

    /** A command's work inside its Spark session. */
    @FunctionalInterface
    interface SessionWork<T> {
        T run(SparkSession spark) throws Exception;
    }

    /**
     * Starts the session, runs {@code work} in it (with a progress line every 5 s per running stage when
     * {@code progress}) and stops the session whatever happens: the skeleton every Spark command shares.
     */
    <T> T run(String appName, Settings settings, boolean progress, SessionWork<T> work) throws Exception {
        SparkSession spark = start(appName, settings);
        SparkProgressListener listener = progress ? new SparkProgressListener(5) : null;
        if (listener != null) {
            spark.sparkContext().addSparkListener(listener);
        }
        try {
            return work.run(spark);
        } finally {
            if (listener != null) {
                spark.sparkContext().removeSparkListener(listener);
            }
            spark.stop();
        }
    }

    static JavaSparkContext context(SparkSession session) {
        return JavaSparkContext.fromSparkContext(session.sparkContext());
    }
}
