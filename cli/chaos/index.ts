/** `lab chaos ...` and `lab replay ...`: faults, self-check and recorded runs against the running lab. */
export { registerChaosCommands } from './register.ts';
