/**
 * Test helper process: appends entries to the DiskStorage in argv[2] forever, printing
 * `acked <index>` after each save returns (that is, after fsync). The crash test kills it with
 * SIGKILL at an arbitrary point and checks that every acknowledged entry survives.
 */
import { DiskStorage } from './disk-storage.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: append-until-killed.ts <dir>');
const storage = DiskStorage.open(dir, {
  segmentBytes: 64 * 1024,
  warn: (m) => process.stderr.write(`${m}\n`),
});
let next = storage.lastIndex() + 1;
const term = storage.load().hardState.term + 1;
for (;;) {
  const batch = Array.from({ length: 1 + (next % 7) }, (_, i) => ({
    term,
    index: next + i,
    type: 'normal' as const,
    data: new Uint8Array(100 + ((next + i) % 400)).fill((next + i) % 256),
  }));
  next += batch.length;
  storage.save({ entries: batch, hardState: { term, vote: '', commit: next - 1 } });
  process.stdout.write(`acked ${next - 1}\n`);
}
