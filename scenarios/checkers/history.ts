/**
 * A client history as history.jsonl records it: every operation's invoke and its completion
 * (ok, fail: did not happen, info: unknown whether it happened), with the node and transport used.
 */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';
export type RegisterFn = 'read' | 'write' | 'cas';

export interface HistoryEntry {
  /** Same for an op's invoke and its completion. */
  id: number;
  /** The client worker that issued it (one op at a time per process). */
  process: number;
  type: OpType;
  f: RegisterFn;
  key: string;
  /** write/cas: the value written; a read's ok: the value read. */
  value?: string | undefined;
  /** cas: the value expected. */
  expected?: string | undefined;
  /** A cas that failed on another value: the register's value the node reported (a read). */
  current?: string | undefined;
  node: string;
  transport: 'grpc' | 'iroh';
  /** ms since the run started (monotonic clock). */
  time: number;
  /** Why it failed or is unknown (status code and message). */
  error?: string | undefined;
}
