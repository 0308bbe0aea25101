/**
 * Test helper process: appends entries to the DiskStorage in argv[2] forever, raising the term
 * every few batches, printing `acked <index> <term>` after each save returns (that is, after
 * fsync). The crash test kills it with SIGKILL at an arbitrary point and checks that every
 * acknowledged entry and term survives.
 */
import { DiskStorage } from './disk-storage.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: append-until-killed.ts <dir>');
const storage = DiskStorage.open(dir, {
  segmentBytes: 64 * 1024,
  warn: (m) => process.stderr.write(`${m}\n`),
});
let next = storage.lastIndex() + 1;
let term = storage.load().hardState.term;
for (let batches = 0; ; batches++) {
  if (batches % 5 === 0) term++;
  const batch = Array.from({ length: 1 + (next % 7) }, (_, i) => ({
    term,
    index: next + i,
    type: 'normal' as const,
    data: new Uint8Array(100 + ((next + i) % 400)).fill((next + i) % 256),
  }));
  next += batch.length;
  storage.save({ entries: batch, hardState: { term, vote: '', commit: next - 1 } });
  process.stdout.write(`acked ${next - 1} ${term}\n`);
}
