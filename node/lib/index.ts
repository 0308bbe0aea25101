/** Plumbing every part of the project shares: seeded random streams and bounded waits. Imports nothing of the project. */

export { findFreePortBlock, freeTcpPort, freeUdpPort, portFree } from './ports.ts';
export { pick, type Random, randomInt, seededRandom } from './random.ts';
export { detach, isDockerGone, orAbsent, release } from './release.ts';
export { sleep, TimeoutError, within, withTimeout } from './time.ts';
