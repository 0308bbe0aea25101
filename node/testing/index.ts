/** Real node processes for tests and benchmarks; a suite's scratch directory; properties the decoders' tests share. */
export { assertGarbageFails } from './garbage.ts';
export { LocalCluster } from './local-cluster.ts';
export { useTempDir } from './temp-dir.ts';
