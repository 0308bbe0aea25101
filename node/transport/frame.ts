/**
 * The Iroh RPC frame: a 24-byte header and a payload.
 *
 *   0      version (1)
 *   1      type (FrameType)
 *   2..5   payload length, u32 big-endian, at most MAX_FRAME_PAYLOAD_BYTES
 *          (a message at the 10 MiB limit plus room for its envelope)
 *   6..21  request id, 16 bytes (a UUID)
 *   22..23 zero padding
 *
 * This is the framing of the Rust Blixard, so the lab can speak to it.
 */
import { MAX_FRAME_PAYLOAD_BYTES } from './limits.ts';

export const FRAME_VERSION = 1;
export const HEADER_BYTES = 24;
export const REQUEST_ID_BYTES = 16;

export const FrameType = {
  Request: 1,
  Response: 2,
  Error: 3,
  StreamData: 4,
  StreamEnd: 5,
  Ping: 6,
  Pong: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const frameTypes = new Set<number>(Object.values(FrameType));

export interface FrameHeader {
  type: FrameType;
  length: number;
  requestId: Uint8Array;
}

export interface Frame extends FrameHeader {
  payload: Uint8Array;
}

/** A header that breaks the format; `reason` names the field at fault. */
export class FrameError extends Error {
  readonly reason: 'version' | 'type' | 'length' | 'padding' | 'truncated';
  /** The request id, when the header was complete enough to carry one. */
  readonly requestId: Uint8Array | undefined;

  constructor(reason: FrameError['reason'], message: string, requestId?: Uint8Array) {
    super(message);
    this.name = 'FrameError';
    this.reason = reason;
    this.requestId = requestId;
  }
}

export function encodeFrame(type: FrameType, requestId: Uint8Array, payload: Uint8Array): Buffer {
  if (requestId.length !== REQUEST_ID_BYTES) {
    throw new RangeError(`request id must be ${REQUEST_ID_BYTES} bytes, got ${requestId.length}`);
  }
  if (payload.length > MAX_FRAME_PAYLOAD_BYTES) {
    throw new RangeError(
      `frame payload of ${payload.length} bytes is over the ${MAX_FRAME_PAYLOAD_BYTES}-byte limit`,
    );
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out[0] = FRAME_VERSION;
  out[1] = type;
  out.writeUInt32BE(payload.length, 2);
  out.set(requestId, 6);
  out[22] = 0;
  out[23] = 0;
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Parses and validates a header; throws FrameError naming what is wrong. */
export function decodeHeader(bytes: Uint8Array): FrameHeader {
  if (bytes.length < HEADER_BYTES) {
    throw new FrameError('truncated', `frame header is ${bytes.length} bytes, expected ${HEADER_BYTES}`);
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const requestId = Uint8Array.from(view.subarray(6, 22));
  const version = view[0];
  if (version !== FRAME_VERSION) {
    throw new FrameError(
      'version',
      `unsupported frame version ${version}, expected ${FRAME_VERSION}`,
      requestId,
    );
  }
  const type = view[1] ?? 0;
  if (!frameTypes.has(type)) {
    throw new FrameError('type', `unknown frame type ${type}`, requestId);
  }
  const length = view.readUInt32BE(2);
  if (length > MAX_FRAME_PAYLOAD_BYTES) {
    throw new FrameError(
      'length',
      `frame payload of ${length} bytes is over the ${MAX_FRAME_PAYLOAD_BYTES}-byte limit`,
      requestId,
    );
  }
  if (view[22] !== 0 || view[23] !== 0) {
    throw new FrameError('padding', 'frame padding bytes 22..23 must be zero', requestId);
  }
  return { type: type as FrameType, length, requestId };
}

/** Decodes one whole frame from a buffer holding exactly header + payload. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const header = decodeHeader(bytes);
  const available = bytes.length - HEADER_BYTES;
  if (available !== header.length) {
    throw new FrameError(
      'truncated',
      `frame declares ${header.length} payload bytes but ${available} are present`,
      header.requestId,
    );
  }
  return { ...header, payload: bytes.subarray(HEADER_BYTES) };
}

export function newRequestId(): Uint8Array {
  return Buffer.from(crypto.randomUUID().replaceAll('-', ''), 'hex');
}
