/** The leader client lives with the consensus code; VM and task RPCs use it from here. */
export { leaderClient } from '../cluster/leader-client.ts';
