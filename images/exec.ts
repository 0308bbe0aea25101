// Child processes for the image builds: run a command, stream its output line by line, fail with
// the end of what it printed.
import { spawn } from 'node:child_process';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with each line the command prints (stdout and stderr). */
  onLine?: (line: string) => void;
  /** Data written to the command's standard input. */
  input?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves with its exit code and output, whatever the code. */
export function exec(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const lineSplitter = () => {
      let pending = '';
      return (chunk: string, flush = false) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = flush ? '' : (lines.pop() ?? '');
        for (const line of lines) if (line.trim() !== '') opts.onLine?.(line);
      };
    };
    const outLines = lineSplitter();
    const errLines = lineSplitter();
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      outLines(d);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      errLines(d);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    child.on('error', reject);
    child.on('close', (code) => {
      outLines('', true);
      errLines('', true);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Runs a command and fails (with the end of its output) unless it exits 0. */
export async function execOk(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const res = await exec(cmd, args, opts);
  if (res.code !== 0) {
    const tail = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.code}:\n${tail}`);
  }
  return res.stdout;
}
