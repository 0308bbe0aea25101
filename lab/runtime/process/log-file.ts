/** Reading a process's log file: the last lines, and following it as it grows. */
import { open, readFile, stat } from 'node:fs/promises';

export async function tailFile(path: string, lines?: number): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  if (lines === undefined) return text;
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines).join('\n') + (all.length > 0 ? '\n' : '');
}

export async function followFile(
  path: string,
  onText: (text: string) => void,
  signal: AbortSignal,
  pollMs = 200,
): Promise<void> {
  let offset = (await stat(path).catch(() => ({ size: 0 }))).size;
  while (!signal.aborted) {
    const size = (await stat(path).catch(() => ({ size: 0 }))).size;
    if (size < offset) offset = 0;
    if (size > offset) {
      const handle = await open(path, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        await handle.read(buf, 0, buf.length, offset);
        offset = size;
        onText(buf.toString('utf8'));
      } finally {
        await handle.close();
      }
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, pollMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
