package io.sparkbert.jobs;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files of the checkout (bundled corpus, launcher), found from the module's working directory. */
final class ProjectFiles {
    private ProjectFiles() {
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("bin").resolve("sparkbert"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("not inside a sparkbert checkout: " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    static Path corpus() {
        return root().resolve("data").resolve("corpus");
    }
}
