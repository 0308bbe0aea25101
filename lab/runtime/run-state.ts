/** What both runtimes start from: the cluster's options with what `Cluster.start` settled for the run. */
import type { RuntimeDriver } from './driver.ts';
import type { IrohKey } from './iroh-key.ts';
import type { ClusterOptions } from './options.ts';

/** The cluster's options with what `Cluster.start` settled for the run. */
export interface RuntimeStartOptions extends ClusterOptions {
  runId: string;
  workDir: string;
  seed: number;
  clientKey: IrohKey;
  /** Called as soon as there is something to tear down (for Ctrl-C during start). */
  onDriver?: ((driver: RuntimeDriver) => void) | undefined;
}
