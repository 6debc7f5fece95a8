/**
 * BERT in DL4J (SPEC §5): embeddings, our own SameDiff multi-head attention, encoder blocks, MLM and
 * NSP heads, data-parallel training on Spark and checkpoints. The module currently carries the
 * DL4J/ND4J dependency set (CPU backend by default, {@code -Pcuda} for GPUs) and the test that
 * proves it loads and computes on this platform; the model itself is the subject of a later issue.
 */
package io.sparkbert.model;
