import { type Entry, type EntryType, MESSAGE_TYPES, type RaftMessage, type Snapshot } from '../core/types.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';

/**
 * Binary form of a RaftMessage, carried in the `bytes` field of SendRaftMessage:
 *   u8 version (1) · u8 type · string from · string to · u64 term, logTerm, index, commit ·
 *   u8 reject · u64 rejectHint · string context · u32 n · n × entry · u8 hasSnapshot · [snapshot]
 * entry = u64 term · u64 index · u8 type (1 normal, 2 conf) · bytes data
 * snapshot = u64 index · u64 term · u32 n · n × string voter · u32 m · m × string learner · bytes data
 * Integers are big-endian; strings and bytes carry a u32 length prefix.
 */
export const MESSAGE_CODEC_VERSION = 1;

const MAX_ID_BYTES = 1024;
const MAX_CONTEXT_BYTES = 64 * 1024;
const ENTRY_TYPE_CODES: Record<EntryType, number> = { normal: 1, conf: 2 };
/** Smallest encoded entry: two u64, the type byte and an empty data length. */
const MIN_ENTRY_BYTES = 8 + 8 + 1 + 4;

export function encodeMessage(m: RaftMessage): Uint8Array {
  const w = new ByteWriter();
  w.u8(MESSAGE_CODEC_VERSION);
  w.u8(MESSAGE_TYPES.indexOf(m.type) + 1);
  w.string(m.from).string(m.to);
  w.u64(m.term).u64(m.logTerm).u64(m.index).u64(m.commit);
  w.u8(m.reject ? 1 : 0).u64(m.rejectHint);
  w.string(m.context);
  w.u32(m.entries.length);
  for (const e of m.entries) encodeEntryTo(w, e);
  if (m.snapshot) {
    w.u8(1);
    encodeSnapshotTo(w, m.snapshot);
  } else {
    w.u8(0);
  }
  return w.finish();
}

export function decodeMessage(bytes: Uint8Array): RaftMessage {
  const r = new ByteReader(bytes, 'raft message');
  const version = r.u8('version');
  if (version !== MESSAGE_CODEC_VERSION) r.fail('version', `unsupported version ${version}`);
  const typeCode = r.u8('type');
  const type = MESSAGE_TYPES[typeCode - 1];
  if (!type) return r.fail('type', `unknown message type ${typeCode}`);
  const from = r.string('from', MAX_ID_BYTES);
  const to = r.string('to', MAX_ID_BYTES);
  const term = r.u64('term');
  const logTerm = r.u64('logTerm');
  const index = r.u64('index');
  const commit = r.u64('commit');
  const reject = r.bool('reject');
  const rejectHint = r.u64('rejectHint');
  const context = r.string('context', MAX_CONTEXT_BYTES);
  const n = r.count('entries', MIN_ENTRY_BYTES);
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(decodeEntryFrom(r, `entries[${i}]`));
  const snapshot = r.bool('hasSnapshot') ? decodeSnapshotFrom(r) : undefined;
  r.end();
  const problem = messageProblem(type, from, to, term, index, entries, snapshot);
  if (problem) throw new Error(`raft message: ${type} from '${from}': ${problem}`);
  return {
    type,
    from,
    to,
    term,
    logTerm,
    index,
    commit,
    reject,
    rejectHint,
    context,
    entries,
    ...(snapshot ? { snapshot } : {}),
  };
}

export function encodeEntryTo(w: ByteWriter, e: Entry): void {
  w.u64(e.term).u64(e.index).u8(ENTRY_TYPE_CODES[e.type]).bytes(e.data);
}

export function decodeEntryFrom(r: ByteReader, field: string): Entry {
  const term = r.u64(`${field}.term`);
  const index = r.u64(`${field}.index`);
  const code = r.u8(`${field}.type`);
  const type: EntryType | undefined = code === 1 ? 'normal' : code === 2 ? 'conf' : undefined;
  if (!type) return r.fail(`${field}.type`, `unknown entry type ${code}`);
  const data = r.bytes(`${field}.data`);
  return { term, index, type, data };
}

export function encodeSnapshotTo(w: ByteWriter, s: Snapshot): void {
  w.u64(s.meta.index).u64(s.meta.term);
  w.u32(s.meta.confState.voters.length);
  for (const id of s.meta.confState.voters) w.string(id);
  w.u32(s.meta.confState.learners.length);
  for (const id of s.meta.confState.learners) w.string(id);
  w.bytes(s.data);
}

export function decodeSnapshotFrom(r: ByteReader): Snapshot {
  const index = r.u64('snapshot.index');
  const term = r.u64('snapshot.term');
  const voters = readIds(r, 'snapshot.voters');
  const learners = readIds(r, 'snapshot.learners');
  const data = r.bytes('snapshot.data');
  return { meta: { index, term, confState: { voters, learners } }, data };
}

function readIds(r: ByteReader, field: string): string[] {
  const n = r.count(field, 4);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(r.string(`${field}[${i}]`, MAX_ID_BYTES));
  return ids;
}

/**
 * What makes a well-formed message unusable, so that the core never sees it: ids are required,
 * entries only ride on appends and must follow the previous index one by one with terms that
 * never decrease nor exceed the message's term, and a snapshot message carries a snapshot.
 */
function messageProblem(
  type: RaftMessage['type'],
  from: string,
  to: string,
  term: number,
  index: number,
  entries: readonly Entry[],
  snapshot: Snapshot | undefined,
): string | undefined {
  if (from === '') return 'empty sender id';
  if (to === '') return 'empty recipient id';
  if (type !== 'append' && entries.length > 0) return `carries ${entries.length} entries`;
  if (type === 'snapshot' && !snapshot) return 'no snapshot';
  if (type !== 'snapshot' && snapshot) return 'carries a snapshot';
  let prevTerm = 0;
  for (const [i, e] of entries.entries()) {
    if (e.index !== index + 1 + i) return `entries[${i}] has index ${e.index}, expected ${index + 1 + i}`;
    if (e.term > term) return `entries[${i}] has term ${e.term}, above the message term ${term}`;
    if (e.term < prevTerm) return `entries[${i}] has term ${e.term}, below the previous entry's ${prevTerm}`;
    prevTerm = e.term;
  }
  return undefined;
}
