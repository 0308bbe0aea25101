import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskStorage } from './disk-storage.ts';

const dir = mkdtempSync(join(tmpdir(), 'raft-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer until it has acknowledged `atLeast` more entries, then SIGKILLs it. */
function runAndKill(atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'append-until-killed.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked = 0;
    let first: number | undefined;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        acked = Number(line.slice('acked '.length));
        first ??= acked;
      }
      if (first !== undefined && acked - first >= atLeast) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited on its own (${_code})`));
    });
  });
}

describe('DiskStorage under SIGKILL', () => {
  it('keeps every acknowledged entry and reopens cleanly, kill after kill', async () => {
    for (let round = 0; round < 3; round++) {
      const acked = await runAndKill(300);
      const storage = DiskStorage.open(dir, { warn: () => {} });
      const { entries, hardState } = storage.load();
      storage.close();
      expect(entries.length).toBeGreaterThanOrEqual(acked);
      entries.forEach((e, i) => {
        expect(e.index).toBe(i + 1);
        expect(e.data[0]).toBe(e.index % 256);
      });
      expect(hardState.commit).toBeGreaterThanOrEqual(acked);
      expect(hardState.commit).toBeLessThanOrEqual(entries.length);
    }
  });
});
