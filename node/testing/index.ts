/** Real node processes for tests and benchmarks, and properties the decoders' tests share. */
export { assertGarbageFails } from './garbage.ts';
export { LocalCluster } from './local-cluster.ts';
