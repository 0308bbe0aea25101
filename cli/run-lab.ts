/** Runs the real `lab` command as a child process, as a user would, for the CLI's tests. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const LAB_CLI = join(import.meta.dirname, 'lab.ts');

export interface LabRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `lab ...args` against the lab remembered in `stateFile`; `env` adds to the environment. */
export function runLab(
  stateFile: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<LabRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LAB_CLI, ...args],
      { env: { ...process.env, LAB_STATE_FILE: stateFile, ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}
