/** What a runtime does to a started cluster's parts; the Cluster API is the same over each. */

import type { RpcChannel } from '../../node/transport/index.ts';
import type { ClusterState, NodeState } from '../state/index.ts';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RuntimeDriver {
  readonly state: ClusterState;
  /** Starts the node again with the same config and data (after kill or stop). */
  startNode(node: NodeState): Promise<void>;
  /** Graceful stop (SIGTERM), waiting until it is gone. */
  stopNode(node: NodeState): Promise<void>;
  /** Immediate SIGKILL. */
  killNode(node: NodeState): Promise<void>;
  pauseNode(node: NodeState): Promise<void>;
  /** SIGHUP to the node process alone (its guests keep running): it re-reads its config file. */
  reloadNode(node: NodeState): Promise<void>;
  resumeNode(node: NodeState): Promise<void>;
  isRunning(node: NodeState): Promise<boolean>;
  exec(node: NodeState, argv: readonly string[]): Promise<ExecResult>;
  /** The last `tail` lines of the node's output (all when undefined). */
  logs(node: NodeState, tail?: number): Promise<string>;
  /** Calls `onText` with new output until `signal` aborts. */
  followLogs(node: NodeState, onText: (text: string) => void, signal: AbortSignal): Promise<void>;
  /**
   * A system under test with a client of its own (blixard-rs): the lab's contract spoken to the node
   * through it. Without it the lab's own gRPC and Iroh clients ask the node.
   */
  channel?(node: NodeState): RpcChannel;
  /** Removes every process, container, network and volume of the run. */
  teardown(): Promise<void>;
}
