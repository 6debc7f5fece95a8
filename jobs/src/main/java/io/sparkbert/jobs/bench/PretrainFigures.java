package io.sparkbert.jobs.bench;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * One pretraining run's figures in {@code bench pretrain} (ours or the peer), and the medians that compare the two.
 *
 * @param loopSamplesPerSecond    samples over the wall time of the training loop
 * @param stepSamplesPerSecond    samples over the time inside optimizer steps only
 * @param outsideShare            share of the loop's wall time outside optimizer steps
 * @param commandSeconds          wall time of the whole command (JVM start, Spark, data, loop)
 * @param commandSamplesPerSecond samples over {@code commandSeconds}
 * @param peakRssMb               peak resident memory of the process
 * @param heldOutMlmAccuracy      masked-LM accuracy on the held-out samples after the last step
 */
public record PretrainFigures(double loopSamplesPerSecond, double stepSamplesPerSecond, double outsideShare,
                              double commandSeconds, double commandSamplesPerSecond, long peakRssMb,
                              double heldOutMlmAccuracy) {

    /** Figures from the loop's and the steps' rates; the outside share follows from the two. */
    public static PretrainFigures of(double loop, double inSteps, ChildRun run, long samples, double heldOutAccuracy) {
        return new PretrainFigures(loop, inSteps, 1 - loop / inSteps, run.seconds(), samples / run.seconds(),
                run.peakBytes() >> 20, heldOutAccuracy);
    }

    /** One line for the console: {@code who} ran on {@code cores} core(s), run number {@code run}. */
    public String line(String who, int cores, int run) {
        return String.format(Locale.ROOT, "  %d core(s), run %d, %-4s: loop %6.1f samples/s, in steps %6.1f samples/s, "
                        + "outside steps %4.1f%%, whole command %6.1f s (%5.1f samples/s), peak RSS %,6d MB, held-out "
                        + "MLM acc %.4f", cores, run, who, loopSamplesPerSecond, stepSamplesPerSecond, 100 * outsideShare,
                commandSeconds, commandSamplesPerSecond, peakRssMb, heldOutMlmAccuracy);
    }

    /**
     * The medians over runs: each side's rates, and the medians of the per-run ratios ours/peer (runs are paired:
     * run i of ours ran next to run i of the peer, so the pair shares the machine's state of the moment).
     */
    public static String summary(int cores, List<PretrainFigures> ours, List<PretrainFigures> peer) {
        if (ours.size() != peer.size() || ours.isEmpty()) {
            throw new IllegalArgumentException("ours and the peer need the same, non-zero number of runs");
        }
        double[] loop = new double[ours.size()];
        double[] steps = new double[ours.size()];
        double[] command = new double[ours.size()];
        for (int i = 0; i < ours.size(); i++) {
            loop[i] = ours.get(i).loopSamplesPerSecond / peer.get(i).loopSamplesPerSecond;
            steps[i] = ours.get(i).stepSamplesPerSecond / peer.get(i).stepSamplesPerSecond;
            command[i] = peer.get(i).commandSeconds / ours.get(i).commandSeconds;
        }
        return String.format(Locale.ROOT, "bench pretrain, %d core(s), medians of %d runs: ours %.1f vs peer %.1f "
                        + "samples/s over the training loop (ours/peer %.2f); inside steps %.1f vs %.1f (%.2f); outside "
                        + "steps %.1f%% vs %.1f%%; whole command ours/peer speed %.2f", cores, ours.size(),
                median(ours, PretrainFigures::loopSamplesPerSecond), median(peer, PretrainFigures::loopSamplesPerSecond),
                Median.of(loop), median(ours, PretrainFigures::stepSamplesPerSecond),
                median(peer, PretrainFigures::stepSamplesPerSecond), Median.of(steps),
                100 * median(ours, PretrainFigures::outsideShare), 100 * median(peer, PretrainFigures::outsideShare),
                Median.of(command));
    }

    private static double median(List<PretrainFigures> runs, ToDoubleFunction<PretrainFigures> figure) {
        return Median.of(runs.stream().mapToDouble(figure).toArray());
    }
}
