package io.sparkbert.pipeline.glove;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** glove.c's arithmetic: the weighting function, the gradient, one AdaGrad step, initialisation. */
class GloveModelTest {
    private static final GloveConfig DEFAULTS = GloveConfig.defaults(1);

    @Test
    void weightingFunctionAsInSpec() {
        // f(x) = (x/x_max)^alpha if x < x_max else 1, alpha 0.75, x_max 100
        assertEquals(1.0, GloveModel.weight(100, 100, 0.75), "x = x_max");
        assertEquals(1.0, GloveModel.weight(250, 100, 0.75), "x > x_max");
        assertEquals(1.0, GloveModel.weight(1e9, 100, 0.75), "x >> x_max");
        assertEquals(Math.pow(0.01, 0.75), GloveModel.weight(1, 100, 0.75), 0.0, "x = 1: (1/100)^0.75");
        assertEquals(0.031622776601683794, GloveModel.weight(1, 100, 0.75), 1e-16, "= 10^-1.5");
        assertEquals(Math.pow(0.5, 0.75), GloveModel.weight(50, 100, 0.75), 0.0);
        assertEquals(0.25, GloveModel.weight(25, 100, 1.0), 0.0, "alpha 1 is linear");
        assertEquals(1.0, GloveModel.weight(3, 100, 0.0), 0.0, "alpha 0 weighs all entries alike");
    }

    @Test
    void analyticGradientMatchesCentralFiniteDifferences() {
        int vocab = 4;
        int dim = 3;
        Random random = new Random(11);
        double[] params = new double[2 * vocab * (dim + 1)];
        for (int i = 0; i < params.length; i++) {
            params[i] = 2 * random.nextDouble() - 1; // O(1) values, so that every term of the gradient matters
        }
        double[] gradsq = new double[params.length];
        GloveModel model = GloveModel.of(vocab, dim, params, gradsq);
        // x_max 10 so that some entries are weighted (x < 10) and some are not (x >= 10)
        double xMax = 10;
        double alpha = 0.75;
        List<GloveEntry> entries = List.of(
                new GloveEntry(1, 2, 3.5), new GloveEntry(2, 1, 3.5), new GloveEntry(1, 1, 0.5),
                new GloveEntry(3, 4, 12.0), new GloveEntry(4, 2, 1.25), new GloveEntry(2, 3, 10.0),
                new GloveEntry(3, 3, 7.0), new GloveEntry(4, 1, 0.2));
        double[] analytic = model.gradient(entries.iterator(), xMax, alpha);
        double h = 1e-3; // J is quadratic in each single parameter: central differences are exact but for rounding
        double[] p = model.parameters();
        double diffNorm = 0;
        double norm = 0;
        for (int k = 0; k < p.length; k++) {
            double saved = p[k];
            p[k] = saved + h;
            double plus = model.cost(entries.iterator(), xMax, alpha);
            p[k] = saved - h;
            double minus = model.cost(entries.iterator(), xMax, alpha);
            p[k] = saved;
            double numeric = (plus - minus) / (2 * h);
            double error = Math.abs(numeric - analytic[k]) / Math.max(1e-3, Math.abs(analytic[k]));
            assertTrue(error < 1e-6, "parameter " + k + ": analytic " + analytic[k] + " vs numeric " + numeric);
            diffNorm += (numeric - analytic[k]) * (numeric - analytic[k]);
            norm += analytic[k] * analytic[k];
        }
        assertTrue(norm > 1, "a gradient that is not trivially small");
        assertTrue(Math.sqrt(diffNorm / norm) < 1e-8, "relative error of the whole gradient " + Math.sqrt(diffNorm / norm));
    }

    @Test
    void oneAdaGradStepByHand() {
        // V = 2, d = 2; word 1: w = (0.1, -0.2), b = 0.05; context 2: w~ = (0.3, 0.4), b~ = -0.1
        double[] params = {
            0.1, -0.2, 0.05, // word 1
            9, 9, 9, //          word 2 (untouched)
            9, 9, 9, //          context 1 (untouched)
            0.3, 0.4, -0.1, //   context 2
        };
        double[] gradsq = {
            4.0, 1.0, 1.0,
            1.0, 1.0, 1.0,
            1.0, 1.0, 1.0,
            1.0, 1.0, 2.0,
        };
        GloveModel model = GloveModel.of(2, 2, params, gradsq);
        double cost = model.update(new GloveEntry(1, 2, 10.0), DEFAULTS);

        // diff = 0.1*0.3 + (-0.2)*0.4 + 0.05 + (-0.1) - ln 10 = -0.05 - 2.302585092994046
        double diff = -2.402585092994046;
        // f(10) = (10/100)^0.75
        double f = 0.1778279410038923;
        double fdiff = -0.4272467601737763; // f * diff
        assertEquals(f * diff, fdiff, 1e-15);
        assertEquals(0.5 * fdiff * diff, cost, 1e-15);
        assertEquals(0.5132483485117586, cost, 1e-12);

        // word vector: step t1 = eta * fdiff * w~ = 0.05 * fdiff * (0.3, 0.4) = (-0.0064087014, -0.0085449352),
        // divided by sqrt(G) = (2, 1)
        double[] p = model.parameters();
        double[] g = model.gradsq();
        assertEquals(0.1 + 0.006408701402606644 / 2, p[0], 1e-15);
        assertEquals(0.10320435070130332, p[0], 1e-15);
        assertEquals(-0.2 + 0.008544935203475526, p[1], 1e-15);
        assertEquals(4.0 + 0.006408701402606644 * 0.006408701402606644, g[0], 1e-15);
        assertEquals(1.0 + 0.008544935203475526 * 0.008544935203475526, g[1], 1e-15);
        // context vector: t2 = 0.05 * fdiff * (0.1, -0.2) = (-0.0021362338, 0.0042724676), sqrt(G) = 1
        assertEquals(0.3 + 0.0021362338008688816, p[9], 1e-15);
        assertEquals(0.4 - 0.004272467601737763, p[10], 1e-15);
        assertEquals(0.39572753239826225, p[10], 1e-15);
        assertEquals(1.0 + 0.0021362338008688816 * 0.0021362338008688816, g[9], 1e-15);
        // biases: glove.c steps them by fdiff / sqrt(G) (no eta, no clip) and adds fdiff^2 to G
        assertEquals(0.05 + 0.4272467601737763, p[2], 1e-15);
        assertEquals(-0.1 + 0.4272467601737763 / Math.sqrt(2), p[11], 1e-15);
        assertEquals(0.20210908135885972, p[11], 1e-15);
        assertEquals(1.0 + 0.4272467601737763 * 0.4272467601737763, g[2], 1e-15);
        assertEquals(2.1825397940789880, g[11], 1e-15);
        // the rows of word 2 and context 1 are untouched
        for (int k = 3; k < 9; k++) {
            assertEquals(9, p[k]);
            assertEquals(1.0, g[k]);
        }
        assertArrayEquals(new double[] {0.10320435070130332, -0.1914550647965245}, model.wordVector(1), 1e-15);
        assertArrayEquals(new double[] {0.30213623380086885, 0.39572753239826225}, model.contextVector(2), 1e-15);
    }

    @Test
    void wordGradientComponentsAreClipped() {
        // diff = 1000*0 + 0 + 0 + 0 - ln(1000) with f = 1 (x > x_max): fdiff*w~ = -6.9*1000 is clipped to -100
        double[] params = {0.001, 0.0, 0.0, 0, 0, 0, 1000.0, 0.0, 0.0, 0, 0, 0};
        double[] gradsq = new double[12];
        java.util.Arrays.fill(gradsq, 1.0);
        GloveModel model = GloveModel.of(2, 2, params, gradsq);
        model.update(new GloveEntry(1, 1, 1000.0), DEFAULTS);
        double fdiff = 0.001 * 1000.0 - Math.log(1000.0); // 1 - 6.907755 = -5.907755
        // word 1, component 0: clip(fdiff * 1000) = -100, times eta 0.05 = -5: w += 5, G += 25
        assertEquals(0.001 + 5.0, model.parameters()[0], 1e-12);
        assertEquals(26.0, model.gradsq()[0], 1e-12);
        // context 1, component 0: fdiff * 0.001 is not clipped
        assertEquals(1000.0 - 0.05 * fdiff * 0.001, model.parameters()[6], 1e-9);
        // the bias step is not clipped: fdiff / sqrt(1)
        assertEquals(-fdiff, model.parameters()[2], 1e-12);
    }

    @Test
    void entriesWithNonFiniteDiffAreSkippedAsInGloveC() {
        GloveModel model = GloveModel.initialize(2, 3, 5);
        GloveModel before = model.copy();
        double cost = model.update(new GloveEntry(1, 2, 0.0), DEFAULTS); // log 0 = -inf
        assertTrue(Double.isNaN(cost));
        assertArrayEquals(before.parameters(), model.parameters());
        assertArrayEquals(before.gradsq(), model.gradsq());
        GloveModel.PassStats stats = model.pass(List.of(new GloveEntry(1, 2, 0.0), new GloveEntry(2, 1, 3.0))
                .iterator(), DEFAULTS);
        assertEquals(2, stats.entries());
        assertEquals(1, stats.skipped());
    }

    @Test
    void initialisationAsGloveC() {
        GloveModel model = GloveModel.initialize(50, 8, 42);
        double[] p = model.parameters();
        assertEquals(2 * 50 * 9, p.length);
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double v : p) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        // (u - 0.5) / d, u in [0, 1): within [-0.5/d, 0.5/d), and filling that range
        assertTrue(min >= -0.5 / 8 && max < 0.5 / 8, min + " " + max);
        assertTrue(min < -0.45 / 8 && max > 0.45 / 8, min + " " + max);
        for (double v : model.gradsq()) {
            assertEquals(1.0, v);
        }
        assertArrayEquals(p, GloveModel.initialize(50, 8, 42).parameters(), "same seed, same start");
        assertFalse(java.util.Arrays.equals(p, GloveModel.initialize(50, 8, 43).parameters()));
        // layout: word rows first, then context rows, each d values then the bias
        assertEquals(p[9 * 2 + 8], model.wordBias(3));
        assertEquals(p[(50 + 2) * 9 + 8], model.contextBias(3));
        assertEquals(p[(50 + 2) * 9], model.contextVector(3)[0]);
        assertEquals(p[9 * 2] + p[(50 + 2) * 9], model.vector(3)[0]);
        assertEquals(50L * 18 * 16, GloveModel.bytesNeeded(50, 8));
    }

    @Test
    void singleThreadedPassesLowerTheCost() {
        GloveModel model = GloveModel.initialize(3, 4, 9);
        List<GloveEntry> entries = List.of(new GloveEntry(1, 2, 20), new GloveEntry(2, 1, 20),
                new GloveEntry(1, 3, 2), new GloveEntry(3, 1, 2), new GloveEntry(2, 3, 5), new GloveEntry(3, 2, 5),
                new GloveEntry(1, 1, 150));
        double previous = Double.MAX_VALUE;
        for (int iteration = 0; iteration < 30; iteration++) {
            GloveModel.PassStats stats = model.pass(entries.iterator(), DEFAULTS);
            assertTrue(stats.meanCost() < previous, "iteration " + iteration + ": " + stats.meanCost());
            previous = stats.meanCost();
        }
        assertTrue(previous < 0.05, "converges: " + previous);
    }

    @Test
    void badIdsAndSizesAreRejected() {
        GloveModel model = GloveModel.initialize(3, 2, 1);
        assertThrows(IllegalArgumentException.class, () -> model.update(new GloveEntry(4, 1, 1.0), DEFAULTS));
        assertThrows(IllegalArgumentException.class, () -> model.update(new GloveEntry(1, 0, 1.0), DEFAULTS));
        assertThrows(IllegalArgumentException.class, () -> GloveModel.initialize(0, 2, 1));
        IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
                () -> GloveModel.initialize(20_000_000, 100, 1));
        assertTrue(tooBig.getMessage().contains("do not fit"), tooBig.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GloveConfig(0, 1, 100, 0.75, 0.05, 100, 1, 0));
        assertNotEquals(GloveConfig.defaults(1), GloveConfig.defaults(2));
    }
}
