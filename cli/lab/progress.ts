/** Progress of long steps on stderr: one line per step with the time since the command began. */
export interface Progress {
  step(message: string): void;
  done(message: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  let last = '';
  return {
    step(message) {
      if (message === last) return;
      last = message;
      stream.write(`${stamp()}  ${message}\n`);
    },
    done(message) {
      stream.write(`${stamp()}  ${message}\n`);
    },
  };
}
