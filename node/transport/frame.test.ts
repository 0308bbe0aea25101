import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeHeader, encodeFrame, FrameError, FrameType, HEADER_BYTES } from './frame.ts';
import { MAX_FRAME_PAYLOAD_BYTES, MAX_MESSAGE_BYTES } from './limits.ts';

const frameType = fc.constantFrom(...Object.values(FrameType));
const requestId = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe('frame codec', () => {
  it('round-trips any frame', () => {
    fc.assert(
      fc.property(frameType, requestId, fc.uint8Array({ maxLength: 4096 }), (type, id, payload) => {
        const bytes = encodeFrame(type, id, payload);
        expect(bytes.length).toBe(HEADER_BYTES + payload.length);
        const frame = decodeFrame(bytes);
        expect(frame.type).toBe(type);
        expect(Buffer.from(frame.requestId)).toEqual(Buffer.from(id));
        expect(Buffer.from(frame.payload)).toEqual(Buffer.from(payload));
      }),
    );
  });

  it('lays the header out as DESIGN.md fixes it', () => {
    const id = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const bytes = encodeFrame(FrameType.Error, id, Uint8Array.of(9, 9, 9));
    expect([...bytes.subarray(0, 6)]).toEqual([1, 3, 0, 0, 0, 3]);
    expect([...bytes.subarray(6, 22)]).toEqual([...id]);
    expect([...bytes.subarray(22, 24)]).toEqual([0, 0]);
  });

  it('never throws anything but FrameError on arbitrary headers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
        try {
          decodeHeader(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
      }),
    );
  });

  it('names the field at fault', () => {
    const good = encodeFrame(FrameType.Request, new Uint8Array(16), new Uint8Array(0));
    const cases: [number, number, FrameError['reason']][] = [
      [0, 2, 'version'],
      [1, 0, 'type'],
      [1, 8, 'type'],
      [22, 1, 'padding'],
    ];
    for (const [offset, value, reason] of cases) {
      const bad = Buffer.from(good);
      bad[offset] = value;
      expect(() => decodeHeader(bad)).toThrow(expect.objectContaining({ reason }));
    }
    const long = Buffer.from(good);
    long.writeUInt32BE(MAX_FRAME_PAYLOAD_BYTES + 1, 2);
    expect(() => decodeHeader(long)).toThrow(expect.objectContaining({ reason: 'length' }));
    // A message at the limit inside its envelope still fits a frame.
    long.writeUInt32BE(MAX_MESSAGE_BYTES + 64, 2);
    expect(decodeHeader(long).length).toBe(MAX_MESSAGE_BYTES + 64);
    expect(() => decodeHeader(good.subarray(0, 10))).toThrow(
      expect.objectContaining({ reason: 'truncated' }),
    );
    expect(() => decodeFrame(Buffer.concat([good, Buffer.of(1)]))).toThrow(/declares 0 payload bytes/);
  });

  it('refuses to encode over the limit', () => {
    expect(() =>
      encodeFrame(FrameType.Request, new Uint8Array(16), new Uint8Array(MAX_FRAME_PAYLOAD_BYTES + 1)),
    ).toThrow(RangeError);
  });
});
