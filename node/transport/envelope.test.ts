import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertGarbageFails } from '../testing/index.ts';
import { decodeRequest, decodeResponse, EnvelopeError, encodeRequest, encodeResponse } from './envelope.ts';

describe('request envelope (bincode layout)', () => {
  it('round-trips any request', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.uint8Array({ maxLength: 2048 }),
        (service, method, payload) => {
          const env = decodeRequest(encodeRequest({ service, method, payload }));
          expect(env.service).toBe(service);
          expect(env.method).toBe(method);
          expect(Buffer.from(env.payload)).toEqual(Buffer.from(payload));
        },
      ),
    );
  });

  it('prefixes strings and bytes with u64 little-endian lengths', () => {
    const bytes = encodeRequest({ service: 'ab', method: 'c', payload: Uint8Array.of(7) });
    expect([...bytes]).toEqual([
      2, 0, 0, 0, 0, 0, 0, 0, 97, 98, 1, 0, 0, 0, 0, 0, 0, 0, 99, 1, 0, 0, 0, 0, 0, 0, 0, 7,
    ]);
  });

  it('rejects garbage with an EnvelopeError, never anything else', () => {
    assertGarbageFails(decodeRequest, 64, (err) => expect(err).toBeInstanceOf(EnvelopeError));
  });

  it('names what is wrong', () => {
    const huge = Buffer.alloc(8);
    huge.writeBigUInt64LE(1n << 40n);
    expect(() => decodeRequest(huge)).toThrow(/service: length \d+ is over/);
    expect(() => decodeRequest(Buffer.from([5, 0, 0, 0, 0, 0, 0, 0, 97]))).toThrow(/service: truncated/);
    const ok = encodeRequest({ service: 's', method: 'm', payload: new Uint8Array(0) });
    expect(() => decodeRequest(Buffer.concat([ok, Buffer.of(0)]))).toThrow(/1 trailing bytes/);
    expect(() => decodeRequest(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0xff]))).toThrow(
      /service: not valid UTF-8/,
    );
  });
});

describe('response envelope', () => {
  it('round-trips any response', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.option(fc.uint8Array({ maxLength: 512 }), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        (success, payload, error) => {
          const env = decodeResponse(encodeResponse({ success, payload, error }));
          expect(env.success).toBe(success);
          expect(env.payload === undefined ? undefined : Buffer.from(env.payload)).toEqual(
            payload === undefined ? undefined : Buffer.from(payload),
          );
          expect(env.error).toBe(error);
        },
      ),
    );
  });

  it('encodes options as a tag byte then the value', () => {
    expect([...encodeResponse({ success: true, payload: undefined, error: undefined })]).toEqual([1, 0, 0]);
    expect([...encodeResponse({ success: false, payload: undefined, error: 'x' })]).toEqual([
      0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 120,
    ]);
  });

  it('rejects bad bool and option tags', () => {
    expect(() => decodeResponse(Uint8Array.of(2, 0, 0))).toThrow(/success: invalid bool byte 2/);
    expect(() => decodeResponse(Uint8Array.of(1, 5, 0))).toThrow(/payload: invalid option tag 5/);
  });

  it('never throws anything but EnvelopeError on garbage', () => {
    assertGarbageFails(decodeResponse, 64, (err) => expect(err).toBeInstanceOf(EnvelopeError));
  });
});
