import { crc32 } from 'node:zlib';

/**
 * Framing shared by every storage file: each record is
 *   u32 payload length · u32 CRC32 of the payload · payload
 * (big-endian), so a reader can tell a complete record from a torn or corrupted one.
 */
export const RECORD_HEADER_BYTES = 8;
/** Larger lengths are treated as corruption rather than allocated. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export function frameRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  view.setUint32(4, crc32(payload));
  out.set(payload, RECORD_HEADER_BYTES);
  return out;
}

export type RecordRead =
  | { readonly kind: 'record'; readonly payload: Uint8Array; readonly next: number }
  /** Fewer bytes remain than the record needs: what an interrupted append leaves behind. */
  | { readonly kind: 'torn'; readonly reason: string }
  | { readonly kind: 'corrupt'; readonly reason: string };

export function readRecord(buffer: Uint8Array, offset: number): RecordRead {
  const remaining = buffer.length - offset;
  if (remaining < RECORD_HEADER_BYTES)
    return { kind: 'torn', reason: `only ${remaining} bytes of a record header` };
  const view = new DataView(buffer.buffer, buffer.byteOffset + offset, RECORD_HEADER_BYTES);
  const length = view.getUint32(0);
  const checksum = view.getUint32(4);
  if (length > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `implausible record length ${length}` };
  if (remaining < RECORD_HEADER_BYTES + length) {
    return {
      kind: 'torn',
      reason: `record of ${length} bytes but only ${remaining - RECORD_HEADER_BYTES} follow`,
    };
  }
  const payload = buffer.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
  const actual = crc32(payload);
  if (actual !== checksum) {
    return { kind: 'corrupt', reason: `CRC mismatch (stored ${hex(checksum)}, computed ${hex(actual)})` };
  }
  return { kind: 'record', payload, next: offset + RECORD_HEADER_BYTES + length };
}

/**
 * Where a complete, checksum-valid record of at least `minPayload` bytes starts after `offset`, if
 * anywhere: then the damage at `offset` is not a torn tail. (The minimum keeps a run of zero bytes,
 * which frames an empty record with a valid CRC, from counting.)
 */
export function validRecordAfter(buffer: Uint8Array, offset: number, minPayload: number): number | undefined {
  for (let at = offset + 1; at + RECORD_HEADER_BYTES <= buffer.length; at++) {
    const read = readRecord(buffer, at);
    if (read.kind === 'record' && read.payload.length >= minPayload) return at;
  }
  return undefined;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
