/**
 * Frame I/O on an Iroh QUIC stream. The napi binding moves bytes as arrays of
 * numbers, so each frame is written with one call (header and payload
 * together) and read with two (header, then exactly its payload).
 */
import type { RecvStream, SendStream } from '@number0/iroh';
import { decodeHeader, encodeFrame, type Frame, FrameError, type FrameType, HEADER_BYTES } from './frame.ts';

export async function writeFrame(
  send: SendStream,
  type: FrameType,
  requestId: Uint8Array,
  payload: Uint8Array,
): Promise<void> {
  await send.writeAll(toNumberArray(encodeFrame(type, requestId, payload)));
}

/**
 * Reads one frame; resolves undefined at a clean end of stream before any
 * header byte. Throws FrameError for a bad header or a payload cut short.
 */
export async function readFrame(recv: RecvStream): Promise<Frame | undefined> {
  const first = await recv.read(HEADER_BYTES).catch(() => undefined);
  if (first === undefined || first.length === 0) return undefined;
  let headerBytes = first;
  if (first.length < HEADER_BYTES) {
    const rest = await recv.readExact(HEADER_BYTES - first.length).catch(() => {
      throw new FrameError('truncated', `stream ended inside a frame header after ${first.length} bytes`);
    });
    headerBytes = first.concat(rest);
  }
  const header = decodeHeader(Buffer.from(headerBytes));
  if (header.length === 0) return { ...header, payload: new Uint8Array(0) };
  const payload = await recv.readExact(header.length).catch(() => {
    throw new FrameError(
      'truncated',
      `stream ended inside a frame payload (declared ${header.length} bytes)`,
      header.requestId,
    );
  });
  return { ...header, payload: Buffer.from(payload) };
}

export function toNumberArray(bytes: Uint8Array): number[] {
  return Array.from(bytes);
}
