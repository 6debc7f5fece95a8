/**
 * BERT in DL4J (SPEC §5): {@link io.sparkbert.model.BertConfig} (presets in conf/model),
 * {@link io.sparkbert.model.Embeddings}, our own SameDiff multi-head {@link io.sparkbert.model.SelfAttention},
 * post-LN {@link io.sparkbert.model.EncoderBlock}s, the tied {@link io.sparkbert.model.MlmHead} and the
 * {@link io.sparkbert.model.NspHead}, assembled with their losses as one SameDiff graph by
 * {@link io.sparkbert.model.BertPretraining}. CPU backend by default, {@code -Pcuda} for GPUs. The DL4J
 * ComputationGraph wrapper for the Spark trainer is still to come.
 */
package io.sparkbert.model;
