import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertGarbageFails } from '../../testing/index.ts';
import { type Entry, MESSAGE_TYPES, type RaftMessage, type Snapshot } from '../core/types.ts';
import { decodeMessage, encodeMessage } from './message-codec.ts';

const u64 = fc.maxSafeNat();
const id = fc.string({ minLength: 0, maxLength: 20 });
const bytes = fc.uint8Array({ maxLength: 64 });
const snapshot: fc.Arbitrary<Snapshot> = fc.record({
  meta: fc.record({
    index: u64,
    term: u64,
    confState: fc.record({
      voters: fc.array(id, { maxLength: 5 }),
      learners: fc.array(id, { maxLength: 3 }),
    }),
  }),
  data: bytes,
});
const nonEmptyId = fc.string({ minLength: 1, maxLength: 20 });
/** Well-formed messages: entries only on appends, contiguous after `index`, terms within bounds. */
const message: fc.Arbitrary<RaftMessage> = fc
  .record({
    type: fc.constantFrom(...MESSAGE_TYPES),
    from: nonEmptyId,
    to: nonEmptyId,
    term: u64,
    logTerm: u64,
    index: fc.nat({ max: 2 ** 40 }),
    commit: u64,
    entryTerms: fc.array(fc.nat(), { maxLength: 5 }),
    entryTypes: fc.array(fc.constantFrom('normal' as const, 'conf' as const), { minLength: 5, maxLength: 5 }),
    entryData: fc.array(bytes, { minLength: 5, maxLength: 5 }),
    reject: fc.boolean(),
    rejectHint: u64,
    context: fc.string({ maxLength: 40 }),
    snapshot,
  })
  .map(({ entryTerms, entryTypes, entryData, snapshot: s, ...m }): RaftMessage => {
    const terms = entryTerms.map((t) => t % (m.term + 1)).sort((a, b) => a - b);
    const entries: Entry[] =
      m.type === 'append'
        ? terms.map((term, i) => ({
            term,
            index: m.index + 1 + i,
            type: entryTypes[i] ?? 'normal',
            data: entryData[i] ?? new Uint8Array(0),
          }))
        : [];
    return { ...m, entries, ...(m.type === 'snapshot' ? { snapshot: s } : {}) };
  });

const sample: RaftMessage = {
  type: 'append',
  from: 'n1',
  to: 'n2',
  term: 3,
  logTerm: 2,
  index: 10,
  commit: 9,
  entries: [{ term: 3, index: 11, type: 'normal', data: new Uint8Array([1, 2, 3]) }],
  reject: false,
  rejectHint: 0,
  context: '',
};

describe('raft message codec', () => {
  it('round-trips every message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
    );
  });

  it('rejects every strict prefix of a valid encoding, naming the field', () => {
    fc.assert(
      fc.property(message, (m) => {
        const encoded = encodeMessage(m);
        const cut = encoded.length > 1 ? encoded.length - 1 : 0;
        expect(() => decodeMessage(encoded.subarray(0, cut))).toThrow(/raft message: .*truncated/);
      }),
    );
  });

  it('never crashes on garbage: it decodes or throws an Error that says what is wrong', () => {
    assertGarbageFails(decodeMessage, 200, (err) => {
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^raft message: /);
    });
  });

  it('survives flipped bytes in a valid encoding', () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, at, flip) => {
        const encoded = encodeMessage(m);
        const i = at % encoded.length;
        encoded[i] = (encoded[i] ?? 0) ^ flip;
        try {
          decodeMessage(encoded);
        } catch (err) {
          expect((err as Error).message).toMatch(/^raft message: /);
        }
      }),
    );
  });

  it('rejects an unknown version', () => {
    const encoded = encodeMessage(sample);
    encoded[0] = 9;
    expect(() => decodeMessage(encoded)).toThrow('raft message: version: unsupported version 9');
  });

  it('rejects an unknown message type', () => {
    const encoded = encodeMessage(sample);
    encoded[1] = 200;
    expect(() => decodeMessage(encoded)).toThrow(/type: unknown message type 200/);
  });

  it('rejects trailing bytes', () => {
    const encoded = encodeMessage(sample);
    const longer = new Uint8Array(encoded.length + 2);
    longer.set(encoded);
    expect(() => decodeMessage(longer)).toThrow(/2 unexpected trailing bytes/);
  });

  it('rejects an entry count that cannot fit, without allocating for it', () => {
    const encoded = encodeMessage({ ...sample, entries: [] });
    // The entry count sits right before the final snapshot flag.
    const view = new DataView(encoded.buffer, encoded.byteOffset);
    view.setUint32(encoded.length - 5, 0xffffffff);
    expect(() => decodeMessage(encoded)).toThrow(/entries: count 4294967295 cannot fit/);
  });

  it('rejects integers beyond the safe range and invalid UTF-8', () => {
    const encoded = encodeMessage(sample);
    const tooBig = encoded.slice();
    // term follows version, type and the two 2-byte ids (4-byte length + 2 bytes each).
    new DataView(tooBig.buffer).setBigUint64(2 + 6 + 6, 2n ** 63n);
    expect(() => decodeMessage(tooBig)).toThrow(/term: value .* is too large/);
    const badUtf8 = encoded.slice();
    badUtf8[2 + 4] = 0xff;
    expect(() => decodeMessage(badUtf8)).toThrow(/from: invalid UTF-8/);
  });

  it('refuses to encode a number that is not a u64', () => {
    expect(() => encodeMessage({ ...sample, term: -1 })).toThrow(/cannot encode -1 as u64/);
  });
});

describe('raft message validation', () => {
  it('rejects entries that do not follow the previous index', () => {
    const bad = { ...sample, entries: [{ ...sample.entries[0], index: 13 } as Entry] };
    expect(() => decodeMessage(encodeMessage(bad))).toThrow(
      "raft message: append from 'n1': entries[0] has index 13, expected 11",
    );
  });

  it('rejects entries from a future term and decreasing terms', () => {
    const future = { ...sample, entries: [{ ...sample.entries[0], term: 4 } as Entry] };
    expect(() => decodeMessage(encodeMessage(future))).toThrow(/has term 4, above the message term 3/);
    const e = sample.entries[0] as Entry;
    const decreasing = { ...sample, entries: [e, { ...e, index: 12, term: 2 }] };
    expect(() => decodeMessage(encodeMessage(decreasing))).toThrow(/entries\[1\] has term 2, below/);
  });

  it('rejects entries on anything but an append, and a snapshot message without a snapshot', () => {
    expect(() => decodeMessage(encodeMessage({ ...sample, type: 'heartbeat' }))).toThrow(
      /heartbeat from 'n1': carries 1 entries/,
    );
    expect(() => decodeMessage(encodeMessage({ ...sample, type: 'snapshot', entries: [] }))).toThrow(
      /no snapshot/,
    );
  });

  it('rejects empty ids', () => {
    expect(() => decodeMessage(encodeMessage({ ...sample, from: '' }))).toThrow(/empty sender id/);
  });
});
