/** What both runtimes start from: their options, and the state a run has before anything starts. */
import type { ClusterState, RuntimeKind } from '../state/index.ts';
import type { LinkPlan } from '../topology/index.ts';
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

/** A run's state as its runtime first records it: the links planned, no node started yet. */
export function newRunState(
  runtime: RuntimeKind,
  opts: RuntimeStartOptions,
  links: LinkPlan[],
  hub: ClusterState['hub'],
): ClusterState {
  return {
    version: 1,
    runId: opts.runId,
    runtime,
    mode: opts.mode,
    strategy: opts.strategy,
    seed: opts.seed,
    createdAt: new Date().toISOString(),
    workDir: opts.workDir,
    client: { secretHex: opts.clientKey.secretHex, irohId: opts.clientKey.nodeId },
    nodes: [],
    links,
    hub,
  };
}
