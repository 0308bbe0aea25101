/** Recorded chaos runs under runs/<id>/ and their replay. */
export { eventSignature, type RunEvent, RunRecorder, readEvents, readHistory } from './recorder.ts';
export { loadReplay, RUNS_DIR, type RunResult, type RunVerdict, runIncident } from './run.ts';
