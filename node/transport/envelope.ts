/**
 * The request and response envelopes inside Iroh frames, in bincode-1 layout
 * (strings and byte arrays prefixed by their length as u64 little-endian; an
 * option is a tag byte 0 or 1, then the value), as the Rust Blixard encodes
 * them with serde + bincode 1.
 */
import { MAX_FRAME_PAYLOAD_BYTES } from './limits.ts';

export interface RequestEnvelope {
  service: string;
  method: string;
  payload: Uint8Array;
}

export interface ResponseEnvelope {
  success: boolean;
  payload: Uint8Array | undefined;
  error: string | undefined;
}

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

class Writer {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  u8(value: number): void {
    this.push(Uint8Array.of(value));
  }

  bytes(value: Uint8Array): void {
    const len = Buffer.allocUnsafe(8);
    len.writeBigUInt64LE(BigInt(value.length));
    this.push(len);
    this.push(value);
  }

  string(value: string): void {
    this.bytes(Buffer.from(value, 'utf8'));
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }

  private push(part: Uint8Array): void {
    this.parts.push(part);
    this.size += part.length;
  }
}

class Reader {
  private offset = 0;
  private readonly buf: Buffer;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(field: string): number {
    this.need(1, field);
    const value = this.buf[this.offset] ?? 0;
    this.offset += 1;
    return value;
  }

  bool(field: string): boolean {
    const value = this.u8(field);
    if (value > 1) throw new EnvelopeError(`${field}: invalid bool byte ${value}`);
    return value === 1;
  }

  bytes(field: string): Uint8Array {
    this.need(8, `${field} length`);
    const len = this.buf.readBigUInt64LE(this.offset);
    this.offset += 8;
    // The message limit itself is the registry's (RESOURCE_EXHAUSTED on both transports).
    if (len > BigInt(MAX_FRAME_PAYLOAD_BYTES)) {
      throw new EnvelopeError(
        `${field}: length ${len} is over the ${MAX_FRAME_PAYLOAD_BYTES}-byte frame limit`,
      );
    }
    const n = Number(len);
    this.need(n, field);
    const value = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return value;
  }

  string(field: string): string {
    const raw = this.bytes(field);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new EnvelopeError(`${field}: not valid UTF-8`);
    }
  }

  option<T>(field: string, read: () => T): T | undefined {
    const tag = this.u8(`${field} option tag`);
    if (tag === 0) return undefined;
    if (tag !== 1) throw new EnvelopeError(`${field}: invalid option tag ${tag}`);
    return read();
  }

  end(what: string): void {
    const rest = this.buf.length - this.offset;
    if (rest !== 0) throw new EnvelopeError(`${what}: ${rest} trailing bytes`);
  }

  private need(n: number, field: string): void {
    if (this.offset + n > this.buf.length) {
      throw new EnvelopeError(`${field}: truncated (need ${n} bytes at offset ${this.offset})`);
    }
  }
}

export function encodeRequest(env: RequestEnvelope): Buffer {
  const w = new Writer();
  w.string(env.service);
  w.string(env.method);
  w.bytes(env.payload);
  return w.finish();
}

export function decodeRequest(bytes: Uint8Array): RequestEnvelope {
  const r = new Reader(bytes);
  const env = { service: r.string('service'), method: r.string('method'), payload: r.bytes('payload') };
  r.end('request envelope');
  return env;
}

export function encodeResponse(env: ResponseEnvelope): Buffer {
  const w = new Writer();
  w.u8(env.success ? 1 : 0);
  if (env.payload === undefined) w.u8(0);
  else {
    w.u8(1);
    w.bytes(env.payload);
  }
  if (env.error === undefined) w.u8(0);
  else {
    w.u8(1);
    w.string(env.error);
  }
  return w.finish();
}

export function decodeResponse(bytes: Uint8Array): ResponseEnvelope {
  const r = new Reader(bytes);
  const env = {
    success: r.bool('success'),
    payload: r.option('payload', () => r.bytes('payload')),
    error: r.option('error', () => r.string('error')),
  };
  r.end('response envelope');
  return env;
}
