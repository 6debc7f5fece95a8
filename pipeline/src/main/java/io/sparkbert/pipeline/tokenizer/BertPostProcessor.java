package io.sparkbert.pipeline.tokenizer;

/**
 * Stage 4 of the tokenizer (docs/design.md §2): BERT's framing, HuggingFace's {@code BertProcessing}
 * (the template {@code [CLS] $A [SEP] $B:1 [SEP]:1}):
 * <pre>
 * single:  [CLS] a1 … an [SEP]                 type ids 0 … 0
 * pair:    [CLS] a1 … an [SEP] b1 … bm [SEP]   type ids 0 for [CLS] A [SEP], 1 for B [SEP]
 * </pre>
 */
public final class BertPostProcessor implements PostProcessor {
    private static final long serialVersionUID = 1L;

    private final int clsId;
    private final int sepId;

    public BertPostProcessor(Vocab vocab) {
        this.clsId = vocab.clsId();
        this.sepId = vocab.sepId();
    }

    @Override
    public Encoding frame(int[] a, int[] b) {
        int length = a.length + (b == null ? 2 : b.length + 3);
        int[] ids = new int[length];
        int[] types = new int[length];
        ids[0] = clsId;
        System.arraycopy(a, 0, ids, 1, a.length);
        ids[a.length + 1] = sepId;
        if (b != null) {
            System.arraycopy(b, 0, ids, a.length + 2, b.length);
            ids[length - 1] = sepId;
            for (int i = a.length + 2; i < length; i++) {
                types[i] = 1;
            }
        }
        return new Encoding(ids, types);
    }

    @Override
    public int addedTokens(boolean pair) {
        return pair ? 3 : 2;
    }
}
