package io.sparkbert.pipeline.glove;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A deterministic English-like benchmark corpus for GloVe's tools: the same bytes for the same size and
 * seed, on any machine. What it imitates, and how:
 *
 * <ul>
 *   <li>Word frequencies: Zipf–Mandelbrot, p(r) ∝ 1/(r + q)^s over {@link #DEFAULT_TYPES} word types
 *       (s = 1.05, q = 2.7, values fitted to English text), so a 39 MB corpus has about 6.4M tokens, a few
 *       hundred thousand distinct words and, at GloVe's min count 5, a vocabulary of tens of thousands.</li>
 *   <li>Word forms: short for frequent words, longer for rare ones (Zipf's law of abbreviation), made
 *       of letters and a few common endings; about 5 letters per token on average, as in English.
 *       The first word of a sentence is capitalised and the last one carries a full stop, and some
 *       words a comma, so that, as in raw text, one word has several GloVe types ("the", "The",
 *       "the,").</li>
 *   <li>Lines are paragraphs (GloVe's window stops at a line end) of 1 or more sentences (geometric,
 *       mean 3); sentence lengths are log-normal with a mean of about 21 words, as in English prose.</li>
 *   <li>Local correlation, which keeps the unigram distribution: a word may repeat a word used earlier
 *       in its paragraph (burstiness, 10%), or be one of the few fixed "collocates" of the previous word
 *       (20%; each word has 4, drawn once from the same Zipf law), so frequent pairs are far more
 *       frequent than independence would make them, and the pair table has the long tail of real text.</li>
 * </ul>
 *
 * What it does not imitate: syntax, topics across paragraphs, long-range structure, the exact
 * shape of English's type/token curve; its pair counts are therefore like real text's in size and
 * skew, not in detail.
 */
public final class SyntheticCorpus {
    public static final int DEFAULT_TYPES = 400_000;
    public static final double EXPONENT = 1.05;
    public static final double SHIFT = 2.7;
    private static final String[] ENDINGS = {"", "", "", "", "", "", "", "", "s", "e", "ed", "er", "ing", "ly", "al", "an", "on",
        "es", "en", "ers", "tion", "ness", "ment", "ic", "ous", "ive", "ist", "ity"};
    private static final String ONSETS = "tsmbcdfghlnprwkvyjz";
    private static final String VOWELS = "aeiouy";
    private static final int COLLOCATES = 4;
    private static final double P_REPEAT = 0.10;
    private static final double P_COLLOCATE = 0.20;
    private static final double P_COMMA = 0.06;

    private final byte[][] words;
    private final byte[][] capitalised;
    private final double[] cdf;
    private final long seed;

    public SyntheticCorpus(int types, long seed) {
        this.seed = seed;
        this.words = new byte[types][];
        this.capitalised = new byte[types][];
        this.cdf = new double[types];
        double total = 0;
        for (int r = 0; r < types; r++) {
            total += Math.pow(r + 1 + SHIFT, -EXPONENT);
            cdf[r] = total;
        }
        for (int r = 0; r < types; r++) {
            cdf[r] /= total;
        }
        Set<String> used = new HashSet<>(types * 2);
        SplittableRandom forms = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int r = 0; r < types; r++) {
            String word = form(r, forms);
            while (!used.add(word)) {
                word = word + VOWELS.charAt(forms.nextInt(VOWELS.length()));
            }
            words[r] = word.getBytes(StandardCharsets.US_ASCII);
            capitalised[r] = (Character.toUpperCase(word.charAt(0)) + word.substring(1))
                    .getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** A pronounceable form whose length grows with the logarithm of the rank. */
    private static String form(int rank, SplittableRandom random) {
        StringBuilder out = new StringBuilder();
        // bijective base-(19*6) numeral of the rank, one consonant-vowel syllable per digit
        int base = ONSETS.length() * VOWELS.length();
        int n = rank + 1;
        while (n > 0) {
            int digit = (n - 1) % base;
            out.append(ONSETS.charAt(digit / VOWELS.length())).append(VOWELS.charAt(digit % VOWELS.length()));
            n = (n - 1) / base;
        }
        if (rank >= 40) {
            out.append(ENDINGS[random.nextInt(ENDINGS.length)]);
        } else if (rank % 3 == 0) {
            out.setLength(out.length() - 1); // some of the most frequent words have one letter fewer ("a", "of")
            if (out.length() == 0) {
                out.append('a');
            }
        }
        return out.toString();
    }

    public int types() {
        return words.length;
    }

    /** The word of a frequency rank (0 = most frequent). */
    public String word(int rank) {
        return new String(words[rank], StandardCharsets.US_ASCII);
    }

    /** A Zipf–Mandelbrot rank for a uniform u in [0, 1). */
    int rank(double u) {
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** The k-th fixed collocate of a word: a Zipf draw seeded by (word, k). */
    private int collocate(int word, int k) {
        long h = (word * 0x9E3779B97F4A7C15L + k * 0xC2B2AE3D27D4EB4FL) ^ seed;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return rank((h >>> 11) * 0x1.0p-53);
    }

    /**
     * Writes whole lines until at least {@code bytes} bytes are written; returns the counts.
     * The output does not depend on anything but the size, the types and the seed.
     */
    public Stats write(OutputStream target, long bytes) throws IOException {
        OutputStream out = new BufferedOutputStream(target, 1 << 16);
        SplittableRandom random = new SplittableRandom(seed);
        int[] paragraph = new int[4096];
        long written = 0;
        long tokens = 0;
        long lines = 0;
        while (written < bytes) {
            int sentences = 1;
            while (random.nextDouble() < 2.0 / 3 && sentences < 20) {
                sentences++;
            }
            int used = 0;
            int previous = -1;
            boolean firstLine = true;
            for (int s = 0; s < sentences; s++) {
                int length = (int) Math.max(1, Math.round(Math.exp(Math.log(18) + 0.55 * gaussian(random))));
                length = Math.min(length, 200);
                for (int i = 0; i < length; i++) {
                    double choice = random.nextDouble();
                    int word;
                    if (choice < P_REPEAT && used > 0) {
                        word = paragraph[random.nextInt(used)];
                    } else if (choice < P_REPEAT + P_COLLOCATE && previous >= 0) {
                        word = collocate(previous, random.nextInt(COLLOCATES));
                    } else {
                        word = rank(random.nextDouble());
                    }
                    if (used < paragraph.length) {
                        paragraph[used++] = word;
                    }
                    previous = word;
                    if (!firstLine) {
                        out.write(' ');
                        written++;
                    }
                    firstLine = false;
                    byte[] form = i == 0 ? capitalised[word] : words[word];
                    out.write(form);
                    written += form.length;
                    if (i == length - 1) {
                        out.write('.');
                        written++;
                    } else if (random.nextDouble() < P_COMMA) {
                        out.write(',');
                        written++;
                    }
                    tokens++;
                }
            }
            out.write('\n');
            written++;
            lines++;
        }
        out.flush();
        return new Stats(written, tokens, lines);
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller, one value per call: deterministic and independent of java.util.Random's caching
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** What {@link #write} wrote. */
    public record Stats(long bytes, long tokens, long lines) {
    }
}
