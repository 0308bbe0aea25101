/** `lab evaluate raft`: the Raft transport matrix (network profiles × grpc, iroh, adaptive) with the decision per cell. */
export { type EvaluateFlags, type EvaluateIo, evaluateCommand, evaluateRaft } from './evaluate.ts';
export type { CellResult } from './matrix.ts';
