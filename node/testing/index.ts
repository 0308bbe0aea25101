/** Real node processes for tests and benchmarks. */
export { LocalCluster } from './local-cluster.ts';
