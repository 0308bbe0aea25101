/** The real Blixard as the lab's system under test (blixard-rs): its docker driver and what it reads. */
export {
  BLIXARD_ELECTION_TIMEOUT_MAX_MS,
  BLIXARD_START_MS,
  BLIXARD_TICK_MS,
  BlixardDriver,
  type BlixardRuntimeOptions,
} from './blixard-driver.ts';
export { type BlixardClusterStatus, parseClusterStatus, ticketFromLog, votersFromLog } from './log-lines.ts';
export { blixardId, blixardPorts, type NatRule, natScript, nodeArgv, startScript } from './node-command.ts';
