package io.sparkbert.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws a run's metrics as one self-contained SVG (no script, no external file): three panels sharing the
 * step axis — losses (train total/MLM/NSP, held-out MLM/NSP), held-out accuracies (MLM, NSP, and the
 * unigram baseline as a dashed line), and the learning rate.
 */
public final class Curves {
    private static final int WIDTH = 900;
    private static final int PANEL = 230;
    private static final int LEFT = 70;
    private static final int RIGHT = 170;
    private static final int TOP = 30;

    private record Series(String label, String key, String color, boolean eval) {
    }

    private static final List<List<Series>> PANELS = List.of(
            List.of(new Series("train loss", "loss", "#1f77b4", false),
                    new Series("train MLM loss", "mlm_loss", "#aec7e8", false),
                    new Series("train NSP loss", "nsp_loss", "#ffbb78", false),
                    new Series("eval MLM loss", "eval_mlm_loss", "#d62728", true),
                    new Series("eval NSP loss", "eval_nsp_loss", "#ff7f0e", true)),
            List.of(new Series("eval MLM accuracy", "eval_mlm_accuracy", "#2ca02c", true),
                    new Series("eval NSP accuracy", "eval_nsp_accuracy", "#9467bd", true)),
            List.of(new Series("learning rate", "lr", "#7f7f7f", false)));
    private static final List<String> TITLES = List.of("loss", "held-out accuracy", "learning rate");

    private Curves() {
    }

    public static String svg(List<JsonNode> metrics, double unigramBaseline, String title) {
        int height = TOP + PANELS.size() * (PANEL + 40) + 10;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
                WIDTH, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">%s</text>%n", LEFT,
                escape(title)));
        double maxStep = 1;
        for (JsonNode m : metrics) {
            maxStep = Math.max(maxStep, m.path("step").asDouble());
        }
        for (int p = 0; p < PANELS.size(); p++) {
            int y0 = TOP + p * (PANEL + 40) + 15;
            List<Series> series = PANELS.get(p);
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (JsonNode m : metrics) {
                    if (m.hasNonNull(s.key()) && m.get(s.key()).isNumber()) {
                        lo = Math.min(lo, m.get(s.key()).asDouble());
                        hi = Math.max(hi, m.get(s.key()).asDouble());
                    }
                }
            }
            boolean accuracy = p == 1;
            if (accuracy) {
                lo = 0;
                hi = 1;
            } else if (lo > hi) {
                lo = 0;
                hi = 1;
            } else {
                lo = Math.min(0, lo);
                hi = hi == lo ? lo + 1 : hi;
            }
            int plotW = WIDTH - LEFT - RIGHT;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n", LEFT, y0 - 4,
                    TITLES.get(p)));
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                    + "stroke=\"#999\"/>%n", LEFT, y0, plotW, PANEL));
            for (int t = 0; t <= 4; t++) {
                double v = lo + (hi - lo) * t / 4;
                double y = y0 + PANEL - PANEL * (double) t / 4;
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                        LEFT - 4, y + 4, format(v)));
                double x = LEFT + plotW * (double) t / 4;
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n",
                        x, y0 + PANEL + 14, Math.round(maxStep * t / 4)));
            }
            int legend = 0;
            for (Series s : series) {
                List<String> points = new ArrayList<>();
                for (JsonNode m : metrics) {
                    if (m.hasNonNull(s.key()) && m.get(s.key()).isNumber()) {
                        double x = LEFT + plotW * m.path("step").asDouble() / maxStep;
                        double y = y0 + PANEL - PANEL * (m.get(s.key()).asDouble() - lo) / (hi - lo);
                        points.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
                    }
                }
                if (!points.isEmpty()) {
                    svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
                            + "points=\"%s\"/>%n", s.color(), s.eval() ? "2" : "1.2", String.join(" ", points)));
                }
                svg.append(legendEntry(WIDTH - RIGHT + 10, y0 + 12 + 16 * legend++, s.color(), s.label(), false));
            }
            if (accuracy && !Double.isNaN(unigramBaseline)) {
                double y = y0 + PANEL - PANEL * unigramBaseline;
                svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#2ca02c\" "
                        + "stroke-dasharray=\"4,3\"/>%n", LEFT, LEFT + plotW, y, y));
                svg.append(legendEntry(WIDTH - RIGHT + 10, y0 + 12 + 16 * legend, "#2ca02c",
                        "unigram MLM baseline " + format(unigramBaseline), true));
            }
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String legendEntry(int x, int y, String color, String label, boolean dashed) {
        return String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>"
                + "<text x=\"%d\" y=\"%d\">%s</text>%n", x, x + 18, y - 4, y - 4, color,
                dashed ? " stroke-dasharray=\"4,3\"" : "", x + 22, y, escape(label));
    }

    private static String format(double v) {
        if (v != 0 && Math.abs(v) < 0.01) {
            return String.format(Locale.ROOT, "%.1e", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
