package io.sparkbert.model;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every row the model reads from the token table and the MLM output bias, in ONE gather whose gradient is added
 * outside the graph (docs/design.md §5).
 *
 * <pre>
 * inputIds [B, S], maskedLmIds [B, P]   integer-valued (any numeric type; cast to INT here)
 * tokenTable [V, H], outputBias [V]
 * ids        = [inputIds | maskedLmIds]               [B·(S+P)]        "lookup/ids" (an output)
 * rows       = [tokenTable | outputBias][ids]         [B·(S+P), H+1]   "lookup/rows"
 * tokens     = the inputs' rows, columns 0..H-1       [B, S, H]    the input tokens' embeddings
 * targetRows = the targets' rows, columns 0..H-1      [B·P, H]     the MLM decoder's rows at the target ids
 * targetBias = the targets' rows, column H            [B·P]        the MLM output bias at the target ids
 * </pre>
 *
 * <h2>Why one gather, and why its gradient is added outside the graph</h2>
 * M2.1 differentiates {@code gather} with a scatter that ASSIGNS instead of adding ({@code Gather.doDiff}:
 * {@code zerosLike(table).put(indices, grad)}): an id that occurs twice in a batch gets one occurrence's
 * gradient. And the ops of that gradient have fixed names, so a second gather in one graph does not even build
 * ("Unable to replace samediff namespace"; along another axis "Variable name transposeConcat already exists").
 * So the tables reach the one gather through a {@code StopGradient} (SameDiff differentiates only the decoder's
 * use of the token table and the bias's addition to the logits), and whoever computes gradients adds
 * dL/d{@value #ROWS} into the tables' rows with {@link #addGradient} ({@link BertPretraining#gradients} does,
 * and so does the DL4J layer).
 *
 * <p>The inputs' lookup replaces a one-hot matmul ([B·S, V]·[V, H] forward, two more of that size backward) whose
 * cost grew with the vocabulary; the targets' rows and bias let the MLM loss compute its target logits as
 * h·tokenTable[id] + outputBias[id] instead of picking them out of the [B·P, V] logits with a one-hot product
 * ({@link MlmHead#loss}). The price is one copy of the table a step, to append the bias as a column.
 */
public record TokenLookup(SDVariable tokens, SDVariable targetRows, SDVariable targetBias) {

    /** The gathered ids, [B·(S+P)] INT: the inputs' ids, then the targets', sample by sample. */
    public static final String IDS = "lookup/ids";
    /** The gathered rows of [tokenTable | outputBias], [B·(S+P), H+1]: their gradient goes into both tables. */
    public static final String ROWS = "lookup/rows";

    /** Adds the gather to {@code sd}. */
    public static TokenLookup gather(SameDiff sd, SDVariable tokenTable, SDVariable outputBias, SDVariable inputIds,
                                     SDVariable maskedLmIds, int seqLen, int maxPredictions) {
        Shapes.require(inputIds, "input_ids [B, S]", Shapes.ANY, seqLen);
        Shapes.require(maskedLmIds, "masked_lm_ids [B, P]", Shapes.ANY, maxPredictions);
        int hidden = Math.toIntExact(tokenTable.getShape()[1]);
        int width = seqLen + maxPredictions;
        SDVariable ids = sd.identity(IDS, sd.concat(1, inputIds.castTo(DataType.INT), maskedLmIds.castTo(DataType.INT))
                .reshape(-1));                                                                    // [B·(S+P)]
        // each table behind its own StopGradient: SameDiff still runs the backward of ops between a variable
        // and a StopGradient (with zeros), which for a concatenation is a copy of the whole table a step
        SDVariable table = sd.concat(1, new StopGradient(sd, tokenTable).outputVariable(),
                new StopGradient(sd, outputBias).outputVariable().reshape(-1, 1));              // [V, H+1]
        SDVariable rows = sd.gather(ROWS, table, ids, 0).reshape(-1, width, hidden + 1);         // [B, S+P, H+1]
        SDVariable tokens = rows.get(SDIndex.all(), SDIndex.interval(0, seqLen), SDIndex.interval(0, hidden));
        SDVariable targets = rows.get(SDIndex.all(), SDIndex.interval(seqLen, width), SDIndex.all())
                .reshape(-1, hidden + 1);                                                         // [B·P, H+1]
        return new TokenLookup(tokens,
                targets.get(SDIndex.all(), SDIndex.interval(0, hidden)),
                targets.get(SDIndex.all(), SDIndex.point(hidden)));
    }

    /**
     * Adds row i of {@code rowsGrad} (dL/d{@value #ROWS}, [N, H+1]) to row {@code ids[i]} of the tables' gradients,
     * in place: its first H columns to {@code tableGrad} [V, H], its last to {@code biasGrad} [V]; either may be
     * null (not asked for). Repeated ids add up. Single-threaded scatter: libnd4j's parallel scatter_add races on
     * repeated ids, and a sequential one adds in a fixed order (same bytes every run).
     */
    public static void addGradient(INDArray tableGrad, INDArray biasGrad, INDArray ids, INDArray rowsGrad) {
        long hidden = rowsGrad.size(1) - 1;
        if (tableGrad != null) {
            scatterAdd(tableGrad, ids, rowsGrad.get(NDArrayIndex.all(), NDArrayIndex.interval(0, hidden)));
        }
        if (biasGrad != null) {
            scatterAdd(biasGrad, ids, rowsGrad.get(NDArrayIndex.all(), NDArrayIndex.point(hidden)));
        }
    }

    private static void scatterAdd(INDArray target, INDArray ids, INDArray updates) {
        ScatterAdd scatter = new ScatterAdd(target, ids, updates.castTo(target.dataType()).dup('c'));
        scatter.addOutputArgument(target);  // in place
        scatter.addBArgument(true);         // "lock": one thread
        Nd4j.exec(scatter);
    }
}
