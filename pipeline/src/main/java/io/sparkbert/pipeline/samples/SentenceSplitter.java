package io.sparkbert.pipeline.samples;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Splits a document's text into sentences for the one-document-per-line (JSON Lines) input
 * (docs/design.md §1): Google's sample generation needs sentences, and such corpora only give documents.
 *
 * <p>A rule-based splitter, deliberately simple and predictable (no model, no state). A sentence
 * ends after:
 * <ul>
 *   <li>a run of end punctuation ({@code . ! ? … ‽ ‼ ⁇ ⁈ ⁉}, Arabic {@code ؟ ۔}, Devanagari
 *       {@code । ॥}, CJK {@code 。 ！ ？ ｡}), optionally followed by closing quotes/brackets
 *       ({@code " ' ” ’ » › ) ]}, a closing brace, and CJK {@code 」 』 ） 】 》 〉}), then whitespace, then a character
 *       that can start a sentence: an uppercase or titlecase letter, a digit, an opening
 *       quote/bracket, or a letter of a caseless script (CJK, Arabic, Hebrew, Thai, …);</li>
 *   <li>CJK end punctuation ({@code 。 ！ ？ ｡}) and its closing brackets, even with no whitespace
 *       after it, because CJK text puts no spaces between sentences;</li>
 *   <li>a paragraph break (a blank line): headings and list items without end punctuation are
 *       not glued to the next paragraph.</li>
 * </ul>
 * A single period does not end a sentence after an abbreviation:
 * <ul>
 *   <li>the English abbreviations in {@link #ABBREVIATIONS} (titles {@code Mr. Mrs. Ms. Dr. Prof.
 *       Sr. Jr. St.}, Latin {@code vs. etc. e.g. i.e. cf. et al.}, companies {@code Inc. Ltd. Co.
 *       Corp.}, references {@code No. Fig. Vol.}, months {@code Jan.}…{@code Dec.}, and a few more);
 *       the match is case-sensitive;</li>
 *   <li>a single capital letter, so initials stay together ({@code J. R. R. Tolkien});</li>
 *   <li>dotted initialisms of single letters ({@code U.S.}, {@code a.m.}).</li>
 * </ul>
 * The price of these rules is that a sentence that really ends with such a word ("…in the U.S.
 * The next day…") is not split; that costs a slightly longer sentence, never lost text. Decimal
 * numbers ({@code 3.14}) never split because a boundary needs whitespace after the period.
 * Sentences are trimmed and empty ones are dropped.
 */
public final class SentenceSplitter implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Abbreviations (without their final period) after which a period does not end a sentence. */
    public static final Set<String> ABBREVIATIONS = Set.of(
            // titles and names
            "Mr", "Mrs", "Ms", "Messrs", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Rev", "Gen", "Gov", "Sen", "Rep",
            "Capt", "Col", "Lt", "Sgt",
            // Latin and references
            "vs", "etc", "e.g", "i.e", "cf", "al", "approx", "No", "Nos", "Fig", "Figs", "Vol", "Eq",
            // companies and places
            "Inc", "Ltd", "Co", "Corp", "Dept", "Univ", "Ave", "Blvd",
            // months (May is never abbreviated)
            "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec");

    /** Letters separated by periods: "U.S", "e.g", "a.m" (the final period is not part of the word). */
    private static final Pattern DOTTED_INITIALISM = Pattern.compile("\\p{L}(?:\\.\\p{L})+");

    /** Sentences of {@code text} in order, trimmed, without empty ones; an empty list for blank text. */
    public List<String> split(String text) {
        List<String> sentences = new ArrayList<>();
        if (text == null || text.isEmpty()) {
            return sentences;
        }
        int n = text.length();
        int start = 0;
        int i = 0;
        while (i < n) {
            int cp = text.codePointAt(i);
            if (isEndPunctuation(cp)) {
                int runStart = i;
                boolean cjk = false;
                int j = i;
                while (j < n && isEndPunctuation(cp = text.codePointAt(j))) {
                    cjk |= isCjkEndPunctuation(cp);
                    j += Character.charCount(cp);
                }
                int punctuationEnd = j;
                while (j < n && isCloser(cp = text.codePointAt(j))) {
                    j += Character.charCount(cp);
                }
                if (cjk) {
                    add(sentences, text, start, j);
                    start = j;
                    i = j;
                    continue;
                }
                int k = j;
                while (k < n && isSpace(cp = text.codePointAt(k))) {
                    k += Character.charCount(cp);
                }
                boolean singlePeriod = punctuationEnd - runStart == 1 && text.charAt(runStart) == '.';
                if (k > j && k < n && startsSentence(text.codePointAt(k))
                        && !(singlePeriod && followsAbbreviation(text, runStart))) {
                    add(sentences, text, start, j);
                    start = k;
                    i = k;
                    continue;
                }
                i = j;
                continue;
            }
            if (isLineBreak(cp)) {
                int end = paragraphBreakEnd(text, i);
                if (end > 0) {
                    add(sentences, text, start, i);
                    start = end;
                    i = end;
                    continue;
                }
            }
            i += Character.charCount(cp);
        }
        add(sentences, text, start, n);
        return sentences;
    }

    private static void add(List<String> sentences, String text, int from, int to) {
        String sentence = text.substring(from, to).strip();
        if (!sentence.isEmpty()) {
            sentences.add(sentence);
        }
    }

    /**
     * If whitespace starting at the line break {@code at} holds at least two line breaks (a blank
     * line), the index after that whitespace; otherwise -1. CR LF counts as one line break and a
     * paragraph separator (U+2029) as a paragraph break on its own.
     */
    private static int paragraphBreakEnd(String text, int at) {
        int n = text.length();
        int breaks = 0;
        int k = at;
        while (k < n) {
            char c = text.charAt(k);
            if (c == '\u2029') {
                breaks += 2;
            } else if (c == '\n' || c == '\u2028' || (c == '\r' && (k + 1 >= n || text.charAt(k + 1) != '\n'))) {
                breaks++;
            } else if (!isSpace(c)) {
                break;
            }
            k++;
        }
        return breaks >= 2 ? k : -1;
    }

    /** Whether the period at {@code period} ends an abbreviation, an initial or a dotted initialism. */
    private static boolean followsAbbreviation(String text, int period) {
        int from = period;
        while (from > 0) {
            int cp = text.codePointBefore(from);
            if (Character.isLetter(cp) || cp == '.') {
                from -= Character.charCount(cp);
            } else {
                break;
            }
        }
        while (from < period && text.charAt(from) == '.') {
            from++;
        }
        if (from == period) {
            return false;
        }
        String word = text.substring(from, period);
        if (ABBREVIATIONS.contains(word)) {
            return true;
        }
        int first = word.codePointAt(0);
        if (Character.charCount(first) == word.length() && (Character.isUpperCase(first) || Character.isTitleCase(first))) {
            return true;
        }
        return DOTTED_INITIALISM.matcher(word).matches();
    }

    static boolean isEndPunctuation(int cp) {
        return switch (cp) {
            case '.', '!', '?', '\u2026' /* … */, '\u203D' /* ‽ */, '\u203C' /* ‼ */, '\u2047' /* ⁇ */,
                    '\u2048' /* ⁈ */, '\u2049' /* ⁉ */, '\u061F' /* Arabic ؟ */, '\u06D4' /* Urdu ۔ */,
                    '\u0964' /* । */, '\u0965' /* ॥ */ -> true;
            default -> isCjkEndPunctuation(cp);
        };
    }

    /** End punctuation of scripts written without spaces between sentences. */
    static boolean isCjkEndPunctuation(int cp) {
        return cp == '\u3002' /* 。 */ || cp == '\uFF01' /* ！ */ || cp == '\uFF1F' /* ？ */ || cp == '\uFF61' /* ｡ */;
    }

    static boolean isCloser(int cp) {
        return switch (cp) {
            case '"', '\'', '\u201D' /* ” */, '\u2019' /* ’ */, '\u00BB' /* » */, '\u203A' /* › */, ')', ']', '}',
                    '\u300D' /* 」 */, '\u300F' /* 』 */, '\uFF09' /* ） */, '\u3011' /* 】 */, '\u300B' /* 》 */,
                    '\u3009' /* 〉 */ -> true;
            default -> false;
        };
    }

    static boolean isOpener(int cp) {
        return switch (cp) {
            case '"', '\'', '\u201C' /* “ */, '\u2018' /* ‘ */, '\u201E' /* „ */, '\u00AB' /* « */, '\u2039' /* ‹ */,
                    '(', '[', '{', '\u00BF' /* ¿ */, '\u00A1' /* ¡ */, '\u300C' /* 「 */, '\u300E' /* 『 */,
                    '\uFF08' /* （ */, '\u3010' /* 【 */, '\u300A' /* 《 */, '\u3008' /* 〈 */ -> true;
            default -> false;
        };
    }

    /** Uppercase/titlecase letter, digit, opening quote or bracket, or a letter of a caseless script. */
    static boolean startsSentence(int cp) {
        if (Character.isUpperCase(cp) || Character.isTitleCase(cp) || Character.isDigit(cp) || isOpener(cp)) {
            return true;
        }
        return Character.isLetter(cp) && !Character.isLowerCase(cp);
    }

    private static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    private static boolean isLineBreak(int cp) {
        return cp == '\n' || cp == '\r' || cp == '\u2028' || cp == '\u2029';
    }
}
