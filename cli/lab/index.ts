/** `lab up|status|logs|down|exec`: the lab's own commands, their config file and output. */
export { DEFAULT_STATE, down, EXIT_FAIL, EXIT_USAGE, exec, type Io, logs, status, up } from './commands.ts';
