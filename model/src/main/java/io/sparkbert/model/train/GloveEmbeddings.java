package io.sparkbert.model.train;

import io.sparkbert.model.BertConfig;
import io.sparkbert.model.BertModel;
import io.sparkbert.model.BertPretrainingLayer;
import io.sparkbert.pipeline.glove.GloveVectors;
import io.sparkbert.pipeline.tokenizer.Vocab;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pretrain --init-embeddings}: token embeddings started from GloVe vectors. Every vocabulary token
 * that has a vector gets that vector's direction, scaled to the norm a row of BERT's initialisation has on
 * average (initializerRange · √H), so LayerNorm and the tied decoder see the scale they were designed
 * for; other rows keep their random values. With {@code cooccur --tokens wordpiece} the GloVe vocabulary
 * is the wordpiece vocabulary itself.
 */
public final class GloveEmbeddings {
    private static final Logger LOG = LoggerFactory.getLogger(GloveEmbeddings.class);

    private GloveEmbeddings() {
    }

    /**
     * Sets the token-table rows of {@code graph} from {@code vectors} ({@code source} names them in messages).
     *
     * @return the number of vocabulary tokens that had a vector
     * @throws IllegalArgumentException if the dimensions differ or no token has a vector
     */
    public static int initialise(ComputationGraph graph, GloveVectors vectors, Vocab vocab, String source) {
        BertConfig bert = BertModel.layer(graph).bertConfig();
        if (vectors.dim() != bert.hiddenSize()) {
            throw new IllegalArgumentException("--init-embeddings " + source + " has " + vectors.dim()
                    + "-dimensional vectors but the model's hidden size is " + bert.hiddenSize()
                    + " (train GloVe with --dim " + bert.hiddenSize() + ")");
        }
        INDArray table = graph.getParam(BertModel.LAYER + "_" + BertPretrainingLayer.TOKEN_TABLE);
        double norm = bert.initializerRange() * Math.sqrt(bert.hiddenSize());
        int covered = 0;
        for (int id = 0; id < vocab.size(); id++) {
            double[] v = vectors.unitVector(vocab.token(id));
            if (v != null) {
                for (int j = 0; j < v.length; j++) {
                    table.putScalar(id, j, v[j] * norm);
                }
                covered++;
            }
        }
        if (covered == 0) {
            throw new IllegalArgumentException("no token of the vocabulary has a vector in " + source);
        }
        LOG.info("--init-embeddings: {} of {} vocabulary tokens have a GloVe vector ({}); the rest keep their "
                + "random initialisation", covered, vocab.size(), source);
        return covered;
    }
}
