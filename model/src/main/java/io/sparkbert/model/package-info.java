/**
 * BERT in DL4J (docs/design.md §5): {@link io.sparkbert.model.BertConfig} (presets in conf/model),
 * {@link io.sparkbert.model.Embeddings}, our own SameDiff multi-head {@link io.sparkbert.model.SelfAttention},
 * post-LN {@link io.sparkbert.model.EncoderBlock}s, the tied {@link io.sparkbert.model.MlmHead} and the
 * {@link io.sparkbert.model.NspHead}, assembled with their losses as one SameDiff graph by
 * {@link io.sparkbert.model.BertPretraining}, which DL4J sees as one layer
 * ({@link io.sparkbert.model.BertPretrainingLayer} in the ComputationGraph of {@link io.sparkbert.model.BertModel};
 * docs/design.md §9). CPU backend by default, {@code -Pcuda} for GPUs. Training on Spark:
 * {@code io.sparkbert.model.train}.
 */
package io.sparkbert.model;
