/** Docker's multiplexed output (8-byte frame headers: stream, 0, 0, 0, size u32 BE) split into stdout and stderr. */
import type { Readable } from 'node:stream';

export function demux(buf: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  let at = 0;
  // A container started with a TTY has no frames: all of it is output.
  if (buf.length >= 8 && ![0, 1, 2].includes(buf[0] as number))
    return { stdout: buf.toString('utf8'), stderr: '' };
  while (at + 8 <= buf.length) {
    const kind = buf[at];
    const size = buf.readUInt32BE(at + 4);
    const text = buf.subarray(at + 8, at + 8 + size).toString('utf8');
    if (kind === 2) stderr += text;
    else stdout += text;
    at += 8 + size;
  }
  return { stdout, stderr };
}

/** Reads a multiplexed stream to its end (or until `signal`), passing text on as it comes. */
export function demuxStream(
  stream: NodeJS.ReadableStream,
  onText?: (text: string) => void,
  signal?: AbortSignal,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    let pending = Buffer.alloc(0);
    let stdout = '';
    let stderr = '';
    const finish = () => resolve({ stdout, stderr });
    signal?.addEventListener(
      'abort',
      () => {
        (stream as Readable).destroy?.();
        finish();
      },
      { once: true },
    );
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const text = pending.subarray(8, 8 + size).toString('utf8');
        if (pending[0] === 2) stderr += text;
        else stdout += text;
        onText?.(text);
        pending = pending.subarray(8 + size);
      }
    });
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', (err) => (signal?.aborted ? finish() : reject(err)));
  });
}
