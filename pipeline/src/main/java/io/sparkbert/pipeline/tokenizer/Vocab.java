package io.sparkbert.pipeline.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A BERT vocabulary: one token per line of vocab.txt, the id is the line number (0-based).
 * Continuation pieces carry the {@code ##} prefix. The five special tokens must be present.
 */
public final class Vocab implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String PAD = "[PAD]";
    public static final String UNK = "[UNK]";
    public static final String CLS = "[CLS]";
    public static final String SEP = "[SEP]";
    public static final String MASK = "[MASK]";
    public static final List<String> SPECIAL_TOKENS = List.of(PAD, UNK, CLS, SEP, MASK);
    public static final String CONTINUATION_PREFIX = "##";

    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final String sha256;

    private Vocab(List<String> tokens, Map<String, Integer> ids, String sha256) {
        this.tokens = tokens;
        this.ids = ids;
        this.sha256 = sha256;
    }

    /** Loads vocab.txt; a clear {@link InvalidVocabException} for a missing, empty or malformed file. */
    public static Vocab load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new InvalidVocabException("vocabulary file not found: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read vocabulary " + file, e);
        }
    }

    /** Reads vocab.txt from a stream (for example a Hadoop path opened by the caller). */
    public static Vocab read(InputStream in, String name) throws IOException {
        MessageDigest digest = sha256Digest();
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(new DigestInputStream(in, digest), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (lines.isEmpty() && line.startsWith("\uFEFF")) {
                    line = line.substring(1); // a UTF-8 byte order mark (editors on Windows write one) is no token
                }
                // HuggingFace and Google both strip trailing whitespace from each entry.
                lines.add(line.stripTrailing());
            }
        }
        return build(lines, name, HexFormat.of().formatHex(digest.digest()));
    }

    /** A vocabulary from tokens in id order (validated exactly as a loaded file is). */
    public static Vocab of(List<String> tokens) {
        MessageDigest digest = sha256Digest();
        for (String token : tokens) {
            digest.update((token + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return build(new ArrayList<>(tokens), "<in-memory>", HexFormat.of().formatHex(digest.digest()));
    }

    private static Vocab build(List<String> tokens, String name, String sha256) {
        if (tokens.isEmpty()) {
            throw new InvalidVocabException("vocabulary " + name + " is empty");
        }
        Map<String, Integer> ids = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            if (token.isEmpty()) {
                throw new InvalidVocabException("vocabulary " + name + " has an empty entry at line " + (i + 1));
            }
            Integer previous = ids.putIfAbsent(token, i);
            if (previous != null) {
                throw new InvalidVocabException("vocabulary " + name + " lists '" + token + "' twice, at lines "
                        + (previous + 1) + " and " + (i + 1));
            }
        }
        List<String> missing = SPECIAL_TOKENS.stream().filter(t -> !ids.containsKey(t)).toList();
        if (!missing.isEmpty()) {
            throw new InvalidVocabException("vocabulary " + name + " lacks the special token(s) " + missing
                    + " (a BERT vocab.txt must contain " + SPECIAL_TOKENS + ")");
        }
        return new Vocab(Collections.unmodifiableList(tokens), ids, sha256);
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes vocab.txt: one token per line, in id order. */
    public void write(Writer out) throws IOException {
        for (String token : tokens) {
            out.write(token);
            out.write('\n');
        }
    }

    public void write(Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(out);
        }
    }

    public int size() {
        return tokens.size();
    }

    /** The id of a token, or -1 when it is not in the vocabulary. */
    public int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    public boolean contains(String token) {
        return ids.containsKey(token);
    }

    public String token(int id) {
        return tokens.get(id);
    }

    public List<String> tokens() {
        return tokens;
    }

    public int padId() {
        return ids.get(PAD);
    }

    public int unkId() {
        return ids.get(UNK);
    }

    public int clsId() {
        return ids.get(CLS);
    }

    public int sepId() {
        return ids.get(SEP);
    }

    public int maskId() {
        return ids.get(MASK);
    }

    public boolean isSpecial(int id) {
        return SPECIAL_TOKENS.contains(tokens.get(id));
    }

    /** SHA-256 of the vocab.txt bytes: manifests record it so a changed vocab is caught. */
    public String sha256() {
        return sha256;
    }
}
