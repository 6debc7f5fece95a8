package io.sparkbert.jobs.bench;

import ai.djl.ndarray.NDArray;
import io.sparkbert.model.checkpoint.HuggingFaceCheckpoint;
import io.sparkbert.model.checkpoint.SafeTensors;
import io.sparkbert.pipeline.util.LocalFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The peer's checkpoint: one safetensors file {@code checkpoint-<step>.safetensors} holding the parameters under
 * HF's names (what {@link TorchBert#load} reads) and Adam's moments as {@code adam.m/<name>} and
 * {@code adam.v/<name>}, metadata {@code format=pt, step}. Written to a temporary file and renamed, so a
 * checkpoint file is always complete; the previous one is deleted after the rename. The work is about what our
 * checkpoint does (all parameters and Adam state to disk); it is for timing, the peer does not resume.
 */
final class PeerCheckpoint {
    private PeerCheckpoint() {
    }

    /** Writes the checkpoint of {@code step} into {@code dir}; returns its path. */
    static Path write(Path dir, int step, TorchBert model, TorchAdamW adam, Path previous) throws IOException {
        List<SafeTensors.Tensor> tensors = new ArrayList<>();
        add(tensors, "", model.params());
        add(tensors, "adam.m/", adam.firstMoments());
        add(tensors, "adam.v/", adam.secondMoments());
        Map<String, String> metadata = new LinkedHashMap<>(HuggingFaceCheckpoint.METADATA);
        metadata.put("step", Integer.toString(step));
        Files.createDirectories(dir);
        Path target = dir.resolve("checkpoint-" + step + ".safetensors");
        LocalFiles.writeAtomically(target, out -> {
            OutputStream buffered = new BufferedOutputStream(out, 1 << 20);
            SafeTensors.write(tensors, metadata, buffered);
            buffered.flush();
        });
        if (previous != null && !previous.equals(target)) {
            Files.deleteIfExists(previous);
        }
        return target;
    }

    private static void add(List<SafeTensors.Tensor> out, String prefix, Map<String, NDArray> arrays) {
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            out.add(SafeTensors.Tensor.ofFloats(prefix + e.getKey(), e.getValue().getShape().getShape(),
                    e.getValue().toFloatArray()));
        }
    }
}
