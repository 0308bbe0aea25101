/** A run's HTML report (runs/<id>/report.html: timeline, latency, throughput, Raft, verdicts; uPlot inlined) and runs/index.html. */
export {
  bucketMs,
  buildReportModel,
  faultWindows,
  histogramQuantile,
  isMissing,
  type Missing,
  parseProm,
  quantile,
  type RaftSample,
  type ReportModel,
  type RunFiles,
  roleChangesFromLogs,
} from './model.ts';
export { readRunFiles } from './read.ts';
export { type ChartLibrary, type IndexEntry, renderIndex, renderReport } from './render.ts';
export { chartLibrary, reportRun, writeReport, writeRunsIndex } from './write.ts';
