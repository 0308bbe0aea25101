/** `lab report`: a run's HTML report made again from its files, and the index of runs. */
export { type ReportFlags, type ReportIo, reportCommand } from './report.ts';
