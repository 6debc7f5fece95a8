package io.sparkbert.model;

import java.util.Map;

import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Chooses every executor's libnd4j build by its own machine's CPU ({@link NativeBuild}) when the executor
 * starts, before any task can load ND4J. Registered through {@code spark.plugins} in conf/spark.conf; a cluster
 * of mixed machines gets the fastest build each can run.
 */
public final class NativeBuildPlugin implements SparkPlugin {

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                NativeBuild.selectForThisMachine();
            }
        };
    }
}
