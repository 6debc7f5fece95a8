package io.sparkbert.pipeline.glove;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GloVe's vocabulary (vocab_count.c): words counted at least {@code minCount} times, by count
 * descending, ties in GloVe's order ({@link GloveWords#compareBytes}); id = rank, 1-based.
 *
 * <p>With {@code maxVocab}, vocab_count keeps the first maxVocab words of a sort by count alone over its
 * hash table's order, so which of several words tied at the cut survive depends on its hash table.
 * Here ties at the cut are decided by the same alphabetical order as everywhere else (documented
 * difference; without --max-vocab the output is identical to vocab_count's).
 */
public final class GloveVocabulary implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A word (raw bytes as ISO-8859-1) and its count. */
    public record Entry(String word, long count) implements Serializable {
    }

    /** GloVe's order: count descending, then its byte comparison. */
    public static final Comparator<Entry> ORDER = (a, b) -> {
        int byCount = Long.compare(b.count(), a.count());
        return byCount != 0 ? byCount : GloveWords.compareBytes(a.word(), b.word());
    };

    private final List<Entry> entries;
    private final Map<String, Integer> ids;

    private GloveVocabulary(List<Entry> entries) {
        this.entries = entries;
        this.ids = new HashMap<>(entries.size() * 2);
        for (int i = 0; i < entries.size(); i++) {
            ids.put(entries.get(i).word(), i + 1);
        }
    }

    /** vocab_count's selection from word counts. */
    public static GloveVocabulary build(Map<String, Long> counts, long minCount, long maxVocab) {
        List<Entry> all = new ArrayList<>(counts.size());
        counts.forEach((word, count) -> {
            if (count >= minCount) {
                all.add(new Entry(word, count));
            }
        });
        all.sort(ORDER);
        List<Entry> kept = maxVocab > 0 && all.size() > maxVocab ? new ArrayList<>(all.subList(0, (int) maxVocab)) : all;
        return new GloveVocabulary(kept);
    }

    /** Reads a vocab.txt of "word count" lines (GloVe's format). */
    public static GloveVocabulary read(InputStream in) throws IOException {
        List<Entry> entries = new ArrayList<>();
        String text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            entries.add(new Entry(line.substring(0, space), Long.parseLong(line.substring(space + 1))));
        }
        return new GloveVocabulary(entries);
    }

    /** Writes vocab_count's output: "word count" lines, the word's bytes unchanged. */
    public void write(OutputStream out) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Entry entry : entries) {
            text.append(entry.word()).append(' ').append(entry.count()).append('\n');
        }
        out.write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    public int size() {
        return entries.size();
    }

    /** The 1-based id of a word, or 0 when it is not in the vocabulary. */
    public int id(String word) {
        Integer id = ids.get(word);
        return id == null ? 0 : id;
    }

    public Entry entry(int id) {
        return entries.get(id - 1);
    }

    public List<Entry> entries() {
        return entries;
    }

    public Map<String, Integer> ids() {
        return ids;
    }
}
