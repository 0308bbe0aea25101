/**
 * Frame I/O on an Iroh QUIC stream.
 *
 * The binding moves Buffers without copying them, but each call across it
 * still costs a trip through the event loop: a frame is written with one call
 * (header and payload together, and the stream's finish with it when asked),
 * and read with as few calls as possible — one `read` of up to READ_CHUNK
 * bytes usually holds a whole small frame; what is left over is kept for the
 * next frame on the same stream. `parseFrame` reads a frame the binding
 * delivered whole (Connection.call), with the same errors as FrameReader.
 */

import { orAbsent } from '../lib/index.ts';
import {
  decodeHeader,
  encodeFrame,
  type Frame,
  FrameError,
  type FrameHeader,
  type FrameType,
  HEADER_BYTES,
} from './frame.ts';
import type { RecvStream, SendStream } from './native-iroh.ts';

const READ_CHUNK = 64 * 1024;

export async function writeFrame(
  send: SendStream,
  type: FrameType,
  requestId: Uint8Array,
  payload: Uint8Array,
  finish = false,
): Promise<void> {
  await send.writeAll(encodeFrame(type, requestId, payload), finish);
}

/** Reads successive frames from one stream. */
export class FrameReader {
  private readonly recv: RecvStream;
  private buffered: Uint8Array = new Uint8Array(0);

  constructor(recv: RecvStream) {
    this.recv = recv;
  }

  /**
   * The next frame, or undefined at a clean end of stream before any byte of
   * it. Throws FrameError for a bad header or a frame cut short. `onHeader`
   * sees the header as soon as it is in, before the payload is read.
   */
  async next(onHeader?: (header: FrameHeader) => void): Promise<Frame | undefined> {
    // An accepted stream's first chunk may already be here: a small request then needs no read at all.
    const first = this.buffered.length === 0 ? this.recv.takeFirstChunk() : null;
    if (first !== null) this.append(first);
    while (this.buffered.length < HEADER_BYTES) {
      // A stream reset by the peer reads as its end; the frame checks below say whether that was early.
      const chunk = await orAbsent(this.recv.read(READ_CHUNK));
      if (chunk === undefined || chunk === null || chunk.length === 0) {
        if (this.buffered.length === 0) return undefined;
        throw new FrameError(
          'truncated',
          `stream ended inside a frame header after ${this.buffered.length} bytes`,
        );
      }
      this.append(chunk);
    }
    const header = decodeHeader(this.buffered);
    onHeader?.(header);
    const total = HEADER_BYTES + header.length;
    if (this.buffered.length < total) {
      // One exact read for the rest: a large payload crosses the binding once.
      const rest = await this.recv.readExact(total - this.buffered.length).catch(() => {
        throw new FrameError(
          'truncated',
          `stream ended inside a frame payload (declared ${header.length} bytes)`,
          header.requestId,
        );
      });
      this.append(rest);
    }
    const payload = this.buffered.subarray(HEADER_BYTES, total);
    this.buffered = this.buffered.subarray(total);
    return { ...header, payload };
  }

  private append(bytes: Uint8Array): void {
    if (this.buffered.length === 0) {
      this.buffered = bytes;
      return;
    }
    const joined = new Uint8Array(this.buffered.length + bytes.length);
    joined.set(this.buffered);
    joined.set(bytes, this.buffered.length);
    this.buffered = joined;
  }
}

/** Reads a single frame from a stream that carries one (a request, a ping). */
export function readFrame(recv: RecvStream): Promise<Frame | undefined> {
  return new FrameReader(recv).next();
}

/**
 * A frame the binding read whole (`Connection.call`, `RecvStream.readFrame`):
 * undefined when no byte came, FrameError when it is cut short or its header
 * is bad — the errors FrameReader gives for the same bytes.
 */
export function parseFrame(bytes: Uint8Array): Frame | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.length < HEADER_BYTES) {
    throw new FrameError('truncated', `stream ended inside a frame header after ${bytes.length} bytes`);
  }
  const header = decodeHeader(bytes);
  const total = HEADER_BYTES + header.length;
  if (bytes.length < total) {
    throw new FrameError(
      'truncated',
      `stream ended inside a frame payload (declared ${header.length} bytes)`,
      header.requestId,
    );
  }
  return { ...header, payload: bytes.subarray(HEADER_BYTES, total) };
}
