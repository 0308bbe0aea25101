/**
 * The blixard/blobs/1 wire: one bidirectional stream per request, in the
 * frames of the RPC protocol (24-byte header). A Request frame carries a
 * small JSON request; the answer is one Response frame (a manifest as JSON,
 * or a chunk's raw bytes) or an Error frame whose payload is
 * "<CODE_NAME>: <message>", as RPC errors read.
 */
import { z } from 'zod';

export const BlobRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('manifest'), hash: z.string() }),
  z.strictObject({ op: z.literal('chunk'), hash: z.string(), index: z.number().int().min(0) }),
]);
export type BlobRequest = z.infer<typeof BlobRequestSchema>;

export function encodeBlobRequest(req: BlobRequest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(req));
}

export function decodeBlobRequest(bytes: Uint8Array): BlobRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error('blob request is not JSON');
  }
  const parsed = BlobRequestSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid blob request: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
