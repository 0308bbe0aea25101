/** The nightly chaos matrix: incidents × seeds within a budget, with JUnit XML, a summary and replay commands. */
export { type CellResult, junitXml, summaryTable } from './junit.ts';
export { type NightlyOptions, type NightlyResult, runNightly } from './nightly.ts';
export { fits, type MatrixCell, parseBudget, planMatrix } from './plan.ts';
