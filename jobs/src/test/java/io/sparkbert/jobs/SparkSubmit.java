package io.sparkbert.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** spark-submit of the shaded application jar from a classpath holding Spark and nothing of ours. */
final class SparkSubmit {
    private SparkSubmit() {
    }

    static Path shadedJar() throws IOException {
        Path target = ProjectFiles.root().resolve("jobs").resolve("target");
        try (Stream<Path> jars = Files.list(target)) {
            return jars.filter(p -> p.getFileName().toString().matches("sparkbert-[0-9].*\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no shaded jar in " + target + "; run mvn package"));
        }
    }

    /** {@code java -cp <spark> SparkSubmit <sparkArgs> --class SparkBert <jar> <appArgs>}. */
    static List<String> command(List<String> sparkArgs, List<String> appArgs) throws IOException {
        Path target = ProjectFiles.root().resolve("jobs").resolve("target");
        String sparkClasspath = Files.readString(target.resolve("spark-classpath.txt")).trim();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(System.getProperty("sparkbert.java17.opens", "").split(" ")));
        command.removeIf(String::isEmpty);
        command.addAll(List.of("-cp", sparkClasspath, "org.apache.spark.deploy.SparkSubmit"));
        command.addAll(sparkArgs);
        command.addAll(List.of("--class", "io.sparkbert.jobs.SparkBert", shadedJar().toString()));
        command.addAll(appArgs);
        return command;
    }
}
