package io.sparkbert.model;

/**
 * An independent plain-Java, double-precision implementation of the BERT pieces, written with loops
 * straight from the formulas (Google's modeling.py), sharing no code with the SameDiff implementation.
 * Arrays: x[s][h] for one sequence, weights w[in][out] (x·W convention), biases b[out].
 */
final class JavaReference {

    private JavaReference() {
    }

    static double[][] dense(double[][] x, double[][] w, double[] b) {
        int n = x.length;
        int in = w.length;
        int out = w[0].length;
        double[][] y = new double[n][out];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int k = 0; k < in; k++) {
                    acc += x[i][k] * w[k][o];
                }
                y[i][o] = acc;
            }
        }
        return y;
    }

    /**
     * Self-attention of one sequence x [S][H]; mask[s] = 1 real / 0 padding; padded keys get
     * exp weight 0 by being skipped entirely (not by a large negative bias), so this reference is
     * independent of the bias trick too.
     */
    static double[][] attention(double[][] x, double[] mask, int heads, boolean causal,
                                double[][] wq, double[] bq, double[][] wk, double[] bk,
                                double[][] wv, double[] bv, double[][] wo, double[] bo) {
        int s = x.length;
        int h = x[0].length;
        int dk = h / heads;
        double[][] q = dense(x, wq, bq);
        double[][] k = dense(x, wk, bk);
        double[][] v = dense(x, wv, bv);
        double[][] context = new double[s][h];
        for (int head = 0; head < heads; head++) {
            int off = head * dk;
            for (int i = 0; i < s; i++) {
                double[] score = new double[s];
                boolean[] allowed = new boolean[s];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    allowed[j] = mask[j] != 0.0 && !(causal && j > i);
                    if (!allowed[j]) {
                        continue;
                    }
                    double dot = 0;
                    for (int d = 0; d < dk; d++) {
                        dot += q[i][off + d] * k[j][off + d];
                    }
                    score[j] = dot / Math.sqrt(dk);
                    max = Math.max(max, score[j]);
                }
                double sum = 0;
                double[] p = new double[s];
                for (int j = 0; j < s; j++) {
                    p[j] = allowed[j] ? Math.exp(score[j] - max) : 0.0;
                    sum += p[j];
                }
                for (int j = 0; j < s; j++) {
                    p[j] /= sum;
                    for (int d = 0; d < dk; d++) {
                        context[i][off + d] += p[j] * v[j][off + d];
                    }
                }
            }
        }
        return dense(context, wo, bo);
    }

    static double[][] layerNorm(double[][] x, double[] gain, double[] bias, double eps) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            int h = x[i].length;
            double mean = 0;
            for (double v : x[i]) {
                mean += v;
            }
            mean /= h;
            double var = 0;
            for (double v : x[i]) {
                var += (v - mean) * (v - mean);
            }
            var /= h;
            y[i] = new double[h];
            for (int j = 0; j < h; j++) {
                y[i][j] = (x[i][j] - mean) / Math.sqrt(var + eps) * gain[j] + bias[j];
            }
        }
        return y;
    }

    /** log Σ exp(row), shifted by the row's maximum so that no exp overflows. */
    static double logSumExp(double[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : row) {
            max = Math.max(max, x);
        }
        double sumExp = 0;
        for (double x : row) {
            sumExp += Math.exp(x - max);
        }
        return max + Math.log(sumExp);
    }

    /** Exact GELU, 0.5·x·(1 + erf(x/√2)), with our own {@link #erf}. */
    static double gelu(double x) {
        return 0.5 * x * (1.0 + erf(x / Math.sqrt(2.0)));
    }

    /** erf by its Taylor series for |x| < 3, else by the continued fraction of erfc; ~1e-15 accurate. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double result;
        if (ax < 3.0) {
            // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            result = 2.0 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
            double f = 0.0;
            for (int n = 60; n >= 1; n--) {
                f = (n / 2.0) / (ax + f);
            }
            result = 1.0 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -result : result;
    }

    static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                y[i][j] = a[i][j] + b[i][j];
            }
        }
        return y;
    }

    static double[][] map(double[][] a, java.util.function.DoubleUnaryOperator f) {
        double[][] y = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                y[i][j] = f.applyAsDouble(a[i][j]);
            }
        }
        return y;
    }
}
