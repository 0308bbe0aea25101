/** What a run leaves under runs/<id>/: its events, history, logs and files, written and read back. */
export {
  type EventKind,
  eventSignature,
  type RunEvent,
  RunRecorder,
  readEvents,
  readHistory,
  readSamples,
} from './recorder.ts';
export {
  type ClusterView,
  type Guest,
  keepRaftLines,
  parseGuests,
  RAFT_METRIC_PREFIXES,
  type RaftView,
  type Sample,
  type SamplerCounts,
  type SamplerOptions,
  Samplers,
} from './sampler.ts';
