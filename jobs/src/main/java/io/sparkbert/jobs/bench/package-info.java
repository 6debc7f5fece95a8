/**
 * Benchmarks behind {@code bench}. {@link io.sparkbert.jobs.bench.AttentionBenchmark} ({@code bench attention}):
 * our attention against SameDiff's stock op and a training step against ND4J's sgemm peak, in one JVM.
 *
 * <p>The reference peer of {@code bench pretrain}: our BERT pretraining re-written in DJL on its PyTorch engine
 * (bench/test-only; DJL is {@code provided}, on the launcher's classpath and not in the cluster jar).
 *
 * <ul>
 *   <li>{@link io.sparkbert.jobs.bench.TorchBert}: the model, parameters under HF's BertForPreTraining names;</li>
 *   <li>{@link io.sparkbert.jobs.bench.TorchAdamW}: DL4J M2.1's AdamW + clipping + schedule, formula for formula;</li>
 *   <li>{@link io.sparkbert.jobs.bench.PeerData}: the batches {@code pretrain --workers 1} trains and evaluates;</li>
 *   <li>{@link io.sparkbert.jobs.bench.PeerCheckpoint}: parameters and Adam state to one safetensors file;</li>
 *   <li>{@link io.sparkbert.jobs.bench.PeerPretrain}: the child-process main (command line in its comment).</li>
 * </ul>
 *
 * TorchBertTest proves model and optimizer equal to ours (same losses, same parameters after three steps).
 *
 * <p>Shared by the benchmarks: {@link io.sparkbert.jobs.bench.ChildRun} (a child process's wall time and peak
 * resident memory) and {@link io.sparkbert.jobs.bench.GloveRecords} (GloVe co-occurrence files compared).
 */
package io.sparkbert.jobs.bench;
