package io.sparkbert.pipeline.tokenizer;

/**
 * The character classes of BERT's basic tokenizer (docs/design.md §2), as HuggingFace's tokenizers define
 * them. Where Java's own predicates differ (Character.isWhitespace leaves out no-break spaces,
 * for one), the Unicode property is spelled out here.
 */
public final class UnicodeRules {
    /*
     * HuggingFace classifies punctuation, format characters and non-spacing marks with the
     * unicode_categories crate, whose tables are Unicode 9.0; Java 17 has Unicode 13.0. The ranges
     * below (inclusive pairs) are the code points where the two disagree, so that our ids equal
     * HuggingFace's for every code point. UnicodeAgreementTest compares all 1.1M code points with the
     * real HuggingFace tokenizer and fails if this table is wrong or incomplete.
     */
    /** P* in Unicode 13 (added in 10.0-13.0), unassigned in 9.0: not punctuation for HuggingFace. */
    private static final int[] NOT_PUNCTUATION_IN_UNICODE_9 = {
        0x9FD, 0x9FD, 0xA76, 0xA76, 0xC77, 0xC77, 0xC84, 0xC84, 0x2E43, 0x2E4F, 0x2E52, 0x2E52,
        0x10EAD, 0x10EAD, 0x10F55, 0x10F59, 0x1144B, 0x1144F, 0x1145A, 0x1145B, 0x1145D, 0x1145D,
        0x11660, 0x1166C, 0x1183B, 0x1183B, 0x11944, 0x11946, 0x119E2, 0x119E2, 0x11A3F, 0x11A46,
        0x11A9A, 0x11A9C, 0x11A9E, 0x11AA2, 0x11C41, 0x11C45, 0x11C70, 0x11C71, 0x11EF7, 0x11EF8,
        0x11FFF, 0x11FFF, 0x16E97, 0x16E9A, 0x16FE2, 0x16FE2, 0x1E95E, 0x1E95F,
    };
    /** Po in Unicode 9.0, recategorised since (So, Mn): still punctuation for HuggingFace. */
    private static final int[] PUNCTUATION_IN_UNICODE_9 = {
        0x166D, 0x166D, 0x111C9, 0x111C9,
    };
    /** Cf in Unicode 13, unassigned in 9.0: HuggingFace keeps them. */
    private static final int[] NOT_FORMAT_IN_UNICODE_9 = {
        0x8E2, 0x8E2, 0x110CD, 0x110CD, 0x13430, 0x13438,
    };
    /** Mn in Unicode 13, not Mn in 9.0 (new, or Po as 0x111C9 was): HuggingFace does not strip them. */
    private static final int[] NOT_NONSPACING_MARK_IN_UNICODE_9 = {
        0x7FD, 0x7FD, 0x8D3, 0x8E1, 0x9FE, 0x9FE, 0xAFA, 0xAFF, 0xB55, 0xB55, 0xC04, 0xC04, 0xD00, 0xD00,
        0xD3B, 0xD3C, 0xD81, 0xD81, 0xEBA, 0xEBA, 0x1885, 0x1886, 0x1ABF, 0x1AC0, 0x1DF6, 0x1DF9,
        0x1DFB, 0x1DFB, 0xA82C, 0xA82C, 0xA8C5, 0xA8C5, 0xA8FF, 0xA8FF, 0xA9BD, 0xA9BD, 0x10D24, 0x10D27,
        0x10EAB, 0x10EAC, 0x10F46, 0x10F50, 0x111C9, 0x111C9, 0x111CF, 0x111CF, 0x1123E, 0x1123E,
        0x1133B, 0x1133B, 0x11438, 0x1143F, 0x11442, 0x11444, 0x11446, 0x11446, 0x1145E, 0x1145E,
        0x1182F, 0x11837, 0x11839, 0x1183A, 0x1193B, 0x1193C, 0x1193E, 0x1193E, 0x11943, 0x11943,
        0x119D4, 0x119D7, 0x119DA, 0x119DB, 0x119E0, 0x119E0, 0x11A01, 0x11A0A, 0x11A33, 0x11A38,
        0x11A3B, 0x11A3E, 0x11A47, 0x11A47, 0x11A51, 0x11A56, 0x11A59, 0x11A5B, 0x11A8A, 0x11A96,
        0x11A98, 0x11A99, 0x11C30, 0x11C36, 0x11C38, 0x11C3D, 0x11C3F, 0x11C3F, 0x11C92, 0x11CA7,
        0x11CAA, 0x11CB0, 0x11CB2, 0x11CB3, 0x11CB5, 0x11CB6, 0x11D31, 0x11D36, 0x11D3A, 0x11D3A,
        0x11D3C, 0x11D3D, 0x11D3F, 0x11D45, 0x11D47, 0x11D47, 0x11D90, 0x11D91, 0x11D95, 0x11D95,
        0x11D97, 0x11D97, 0x11EF3, 0x11EF4, 0x16F4F, 0x16F4F, 0x16FE4, 0x16FE4, 0x1E000, 0x1E006,
        0x1E008, 0x1E018, 0x1E01B, 0x1E021, 0x1E023, 0x1E024, 0x1E026, 0x1E02A, 0x1E130, 0x1E136,
        0x1E2EC, 0x1E2EF, 0x1E944, 0x1E94A,
    };

    private UnicodeRules() {
    }

    /** Whether c lies in one of the inclusive [start, end] pairs of a sorted range table. */
    private static boolean inRanges(int[] ranges, int c) {
        int lo = 0;
        int hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (c < ranges[2 * mid]) {
                hi = mid - 1;
            } else if (c > ranges[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    /**
     * Unicode's White_Space property (what Rust's char::is_whitespace tests), with tab, newline and
     * carriage return counted as whitespace.
     */
    public static boolean isWhitespace(int c) {
        if (c <= 0x20) {
            return c == ' ' || (c >= 0x09 && c <= 0x0D);
        }
        if (c < 0x85) {
            return false;
        }
        switch (c) {
            case 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
                return true;
            default:
                return c >= 0x2000 && c <= 0x200A;
        }
    }

    /**
     * Characters the cleaning step deletes: control, format, private-use and surrogate code points
     * (Cc, Cf, Co, Cs) except tab, newline and carriage return, which count as whitespace.
     * Unassigned code points (Cn) are kept, as HuggingFace keeps them (they become [UNK]).
     */
    public static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
        if (c >= 0x20 && c < 0x7F) {
            return false;
        }
        switch (Character.getType(c)) {
            case Character.CONTROL, Character.PRIVATE_USE, Character.SURROGATE:
                return true;
            case Character.FORMAT:
                return !inRanges(NOT_FORMAT_IN_UNICODE_9, c);
            default:
                return false;
        }
    }

    /** Punctuation: the ASCII punctuation ranges (33-47, 58-64, 91-96, 123-126) or Unicode P*. */
    public static boolean isPunctuation(int c) {
        if (c < 0x80) {
            return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
        }
        switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                 Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION:
                return !inRanges(NOT_PUNCTUATION_IN_UNICODE_9, c);
            default:
                return inRanges(PUNCTUATION_IN_UNICODE_9, c);
        }
    }

    /** A non-spacing mark (Mn), which accent stripping removes after NFD. */
    public static boolean isNonSpacingMark(int c) {
        return Character.getType(c) == Character.NON_SPACING_MARK && !inRanges(NOT_NONSPACING_MARK_IN_UNICODE_9, c);
    }

    /**
     * The CJK ideograph ranges that BERT spaces out, exactly as HuggingFace's BertNormalizer lists
     * them (its extension-D/E boundary starts at 0x2B920, where Google's tokenization.py says
     * 0x2B820; we follow HuggingFace because that is the peer we must agree with byte for byte).
     */
    public static boolean isChineseChar(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF)
                || (c >= 0x3400 && c <= 0x4DBF)
                || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F)
                || (c >= 0x2B740 && c <= 0x2B81F)
                || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF)
                || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}
