package io.sparkbert.pipeline.glove;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * The parameters of a GloVe model and the update of Stanford's glove.c, single-threaded.
 *
 * <p><b>Reference.</b> The arithmetic follows {@code src/glove.c} of stanfordnlp/GloVe as on its master
 * branch after pull request #149 (gradient clipping, merged in 2020): the version with
 * {@code grad_clip_value = 100.0}, {@code -seed}, {@code -checkpoint-every} and the
 * {@code W_updates1/W_updates2} NaN guards. For an entry (i, j, X_ij) its {@code glove_thread} computes
 * <pre>
 *   diff  = w_i·w~_j + b_i + b~_j − log X_ij
 *   fdiff = f(X_ij)·diff                  f(x) = (x/x_max)^alpha if x &lt; x_max else 1
 *   cost += 0.5·fdiff·diff                (entries whose diff or fdiff is NaN/±inf are skipped)
 *   for each component b:
 *     t1 = clip(fdiff·w~_j[b])·eta,  t2 = clip(fdiff·w_i[b])·eta      clip to [−gradClip, gradClip]
 *     u1 = t1/sqrt(G_i[b]),  u2 = t2/sqrt(G~_j[b]);  G_i[b] += t1²,  G~_j[b] += t2²
 *   w_i −= u1,  w~_j −= u2               (only when the sums of u1 and of u2 are finite)
 *   b_i −= fdiff/sqrt(G_i[d]),  b~_j −= fdiff/sqrt(G~_j[d])             (0 if NaN/±inf)
 *   G_i[d] += fdiff²,  G~_j[d] += fdiff²
 * </pre>
 * Two details of that version are kept on purpose, because they are what glove.c computes: the
 * accumulators G sum the squares of the <em>scaled</em> steps (eta·g)², not of the gradients, and the
 * bias steps use neither eta nor the clip (pull request #209, which would add both, is not merged).
 * The vector gradients are those of J = Σ 0.5·f·diff², so they carry no factor 2.
 *
 * <p><b>Layout.</b> Exactly glove.c's array {@code W} (and {@code gradsq} alike): 2V rows of d+1
 * doubles; row i−1 holds w_i then b_i, row V+j−1 holds w~_j then b~_j (ids are 1-based, as in
 * vocab.txt and the co-occurrence records). So W, W~, b and b~ are views of one flat array, the binary
 * output is a plain dump of it, and a "row" (a vector with its bias and their accumulators) is the unit
 * that distributed training ships. Parameters and accumulators take
 * {@link #bytesNeeded(long, int) V·(2d+2)·16 bytes}; a Java array holds at most about 2^31 doubles, so
 * 2V(d+1) must stay below that (V up to about 10 million at d = 100).
 *
 * <p><b>Initialisation.</b> As glove.c's {@code initialize_parameters}: every entry of W, biases
 * included, is (u − 0.5)/d for u uniform in [0, 1) from a generator seeded with the seed (Java's
 * {@link SplittableRandom} instead of C's {@code rand()}, in the same order: the flat array from start
 * to end), and every accumulator starts at 1.0 so that the first step has size eta.
 */
public final class GloveModel implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Per-entry outcome of {@link #step}: the entry's cost, or this when glove.c skips it. */
    static final double SKIPPED = Double.NaN;

    private final int vocabSize;
    private final int dim;
    private final double[] params;
    private final double[] gradsq;

    private GloveModel(int vocabSize, int dim, double[] params, double[] gradsq) {
        this.vocabSize = vocabSize;
        this.dim = dim;
        this.params = params;
        this.gradsq = gradsq;
    }

    /** Fresh parameters as glove.c draws them (see the class comment). */
    public static GloveModel initialize(int vocabSize, int dim, long seed) {
        int length = length(vocabSize, dim);
        double[] params = new double[length];
        SplittableRandom random = new SplittableRandom(seed);
        for (int a = 0; a < length; a++) {
            params[a] = (random.nextDouble() - 0.5) / dim;
        }
        double[] gradsq = new double[length];
        Arrays.fill(gradsq, 1.0);
        return new GloveModel(vocabSize, dim, params, gradsq);
    }

    /** A model with the given parameters and accumulators in glove.c's layout (both copied). */
    public static GloveModel of(int vocabSize, int dim, double[] params, double[] gradsq) {
        int length = length(vocabSize, dim);
        if (params.length != length || gradsq.length != length) {
            throw new IllegalArgumentException("expected 2*V*(d+1) = " + length + " values, got " + params.length
                    + " parameters and " + gradsq.length + " accumulators");
        }
        return new GloveModel(vocabSize, dim, params.clone(), gradsq.clone());
    }

    /** Memory for the parameters and the AdaGrad accumulators of a model: V·(2d+2)·16 bytes. */
    public static long bytesNeeded(long vocabSize, int dim) {
        return vocabSize * (2L * dim + 2) * 16;
    }

    private static int length(int vocabSize, int dim) {
        if (vocabSize < 1 || dim < 1) {
            throw new IllegalArgumentException("vocabulary size and dimension must be positive, got V=" + vocabSize
                    + " d=" + dim);
        }
        long length = 2L * vocabSize * (dim + 1);
        if (length > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("2*V*(d+1) = " + length + " parameters do not fit in one Java array"
                    + " (at most about 2^31): use a smaller vocabulary or dimension");
        }
        return (int) length;
    }

    public GloveModel copy() {
        return new GloveModel(vocabSize, dim, params.clone(), gradsq.clone());
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int dim() {
        return dim;
    }

    /** The live parameter array W in glove.c's layout (2V rows of d+1: vector then bias). */
    public double[] parameters() {
        return params;
    }

    /** The live AdaGrad accumulators, laid out as {@link #parameters()}. */
    public double[] gradsq() {
        return gradsq;
    }

    /** Offset in {@link #parameters()} of word {@code id}'s row (w_id, b_id); ids are 1-based. */
    public int wordOffset(int id) {
        checkId(id);
        return (id - 1) * (dim + 1);
    }

    /** Offset in {@link #parameters()} of context {@code id}'s row (w~_id, b~_id); ids are 1-based. */
    public int contextOffset(int id) {
        checkId(id);
        return (vocabSize + id - 1) * (dim + 1);
    }

    public double[] wordVector(int id) {
        int offset = wordOffset(id);
        return Arrays.copyOfRange(params, offset, offset + dim);
    }

    public double[] contextVector(int id) {
        int offset = contextOffset(id);
        return Arrays.copyOfRange(params, offset, offset + dim);
    }

    public double wordBias(int id) {
        return params[wordOffset(id) + dim];
    }

    public double contextBias(int id) {
        return params[contextOffset(id) + dim];
    }

    /** The output vector of word {@code id}: w + w~ (glove.c's {@code -model 2}). */
    public double[] vector(int id) {
        int w = wordOffset(id);
        int c = contextOffset(id);
        double[] v = new double[dim];
        for (int b = 0; b < dim; b++) {
            v[b] = params[w + b] + params[c + b];
        }
        return v;
    }

    private void checkId(int id) {
        if (id < 1 || id > vocabSize) {
            throw new IllegalArgumentException("word id " + id + " outside 1.." + vocabSize);
        }
    }

    /** The weighting function of docs/design.md §4: (x/x_max)^alpha if x &lt; x_max, else 1. */
    public static double weight(double x, double xMax, double alpha) {
        return x < xMax ? Math.pow(x / xMax, alpha) : 1.0;
    }

    /** The outcome of a pass: glove.c's summed cost, and how many entries it used and skipped. */
    public record PassStats(double cost, long entries, long skipped) {
        /** The cost as glove.c prints it: summed cost over the number of entries read. */
        public double meanCost() {
            return entries == 0 ? 0 : cost / entries;
        }
    }

    /** glove.c's update for one entry, in place. Returns the entry's 0.5·f·diff², or NaN if skipped. */
    public double update(GloveEntry entry, GloveConfig config) {
        return step(params, gradsq, wordOffset(entry.word()), contextOffset(entry.context()), dim, entry.value(),
                config, new double[dim], new double[dim]);
    }

    /** One single-threaded pass of glove.c's updates over {@code entries}, in their order, in place. */
    public PassStats pass(Iterator<GloveEntry> entries, GloveConfig config) {
        double[] updates1 = new double[dim];
        double[] updates2 = new double[dim];
        double cost = 0;
        long count = 0;
        long skipped = 0;
        while (entries.hasNext()) {
            GloveEntry entry = entries.next();
            count++;
            double c = step(params, gradsq, wordOffset(entry.word()), contextOffset(entry.context()), dim,
                    entry.value(), config, updates1, updates2);
            if (Double.isNaN(c)) {
                skipped++;
            } else {
                cost += c;
            }
        }
        return new PassStats(cost, count, skipped);
    }

    /**
     * glove.c's update of one entry X = {@code x} whose word row starts at {@code o1} and context row at
     * {@code o2} of {@code p} (parameters) and {@code g} (accumulators). {@code updates1/2} are scratch of
     * length d. Returns the entry's cost 0.5·f·diff² before the update, or {@link #SKIPPED}.
     */
    static double step(double[] p, double[] g, int o1, int o2, int d, double x, GloveConfig config,
                       double[] updates1, double[] updates2) {
        double diff = 0;
        for (int b = 0; b < d; b++) {
            diff += p[o1 + b] * p[o2 + b];
        }
        diff += p[o1 + d] + p[o2 + d] - Math.log(x);
        double fdiff = weight(x, config.xMax(), config.alpha()) * diff;
        if (!Double.isFinite(diff) || !Double.isFinite(fdiff)) {
            return SKIPPED;
        }
        double cost = 0.5 * fdiff * diff;
        double eta = config.eta();
        double clip = config.gradClip();
        double sum1 = 0;
        double sum2 = 0;
        for (int b = 0; b < d; b++) {
            double temp1 = cFmin(cFmax(fdiff * p[o2 + b], -clip), clip) * eta;
            double temp2 = cFmin(cFmax(fdiff * p[o1 + b], -clip), clip) * eta;
            updates1[b] = temp1 / Math.sqrt(g[o1 + b]);
            updates2[b] = temp2 / Math.sqrt(g[o2 + b]);
            sum1 += updates1[b];
            sum2 += updates2[b];
            g[o1 + b] += temp1 * temp1;
            g[o2 + b] += temp2 * temp2;
        }
        if (Double.isFinite(sum1) && Double.isFinite(sum2)) {
            for (int b = 0; b < d; b++) {
                p[o1 + b] -= updates1[b];
                p[o2 + b] -= updates2[b];
            }
        }
        p[o1 + d] -= finiteOrZero(fdiff / Math.sqrt(g[o1 + d]));
        p[o2 + d] -= finiteOrZero(fdiff / Math.sqrt(g[o2 + d]));
        double fdiff2 = fdiff * fdiff;
        g[o1 + d] += fdiff2;
        g[o2 + d] += fdiff2;
        return cost;
    }

    /** glove.c's {@code check_nan}. */
    private static double finiteOrZero(double update) {
        return Double.isFinite(update) ? update : 0.0;
    }

    /** C's fmax: a NaN argument loses. */
    private static double cFmax(double a, double b) {
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
    }

    /** C's fmin: a NaN argument loses. */
    private static double cFmin(double a, double b) {
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
    }

    /** The objective J = Σ 0.5·f(X_ij)·(w_i·w~_j + b_i + b~_j − log X_ij)² over {@code entries}. */
    public double cost(Iterator<GloveEntry> entries, double xMax, double alpha) {
        double total = 0;
        while (entries.hasNext()) {
            GloveEntry e = entries.next();
            double diff = diff(e);
            total += 0.5 * weight(e.value(), xMax, alpha) * diff * diff;
        }
        return total;
    }

    /**
     * The analytic gradient of {@link #cost} with respect to every parameter, in the layout of
     * {@link #parameters()}: dJ/dw_i = Σ_j f·diff·w~_j, dJ/dw~_j = Σ_i f·diff·w_i, dJ/db_i = dJ/db~_j =
     * Σ f·diff. (These unclipped gradients are what glove.c's steps scale by eta/sqrt(G).)
     */
    public double[] gradient(Iterator<GloveEntry> entries, double xMax, double alpha) {
        double[] gradient = new double[params.length];
        while (entries.hasNext()) {
            GloveEntry e = entries.next();
            double fdiff = weight(e.value(), xMax, alpha) * diff(e);
            int o1 = wordOffset(e.word());
            int o2 = contextOffset(e.context());
            for (int b = 0; b < dim; b++) {
                gradient[o1 + b] += fdiff * params[o2 + b];
                gradient[o2 + b] += fdiff * params[o1 + b];
            }
            gradient[o1 + dim] += fdiff;
            gradient[o2 + dim] += fdiff;
        }
        return gradient;
    }

    private double diff(GloveEntry e) {
        int o1 = wordOffset(e.word());
        int o2 = contextOffset(e.context());
        double diff = 0;
        for (int b = 0; b < dim; b++) {
            diff += params[o1 + b] * params[o2 + b];
        }
        return diff + params[o1 + dim] + params[o2 + dim] - Math.log(e.value());
    }
}
