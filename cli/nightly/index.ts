/** `lab nightly`: the bounded chaos matrix, its JUnit XML, summary and replay commands. */
export { INCIDENTS_DIR, type NightlyFlags, nightlyCommand } from './nightly.ts';
