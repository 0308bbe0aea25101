/** What a run leaves under runs/<id>/: its events, history, logs and files, written and read back. */
export {
  type EventKind,
  eventSignature,
  type RunEvent,
  RunRecorder,
  readEvents,
  readHistory,
} from './recorder.ts';
