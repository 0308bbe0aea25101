/**
 * Serves the store over ALPN blixard/blobs/1 to admitted peers: manifests
 * and chunks of complete images, one request per stream. Chunks go out as
 * stored; the fetcher verifies them, so a corrupt chunk on this disk is
 * caught there and fetched elsewhere.
 */

import { release } from '../lib/index.ts';
import {
  type BiStream,
  BLOBS_ALPN,
  type Connection,
  FrameType,
  IrohProtocolBase,
  newRequestId,
  readFrame,
  writeFrame,
} from '../transport/index.ts';
import { decodeBlobRequest } from './blob-wire.ts';
import type { ImageStore } from './image-store.ts';
import { encodeManifest } from './manifest.ts';

export interface BlobServerEvents {
  onChunkServed?: (bytes: number) => void;
}

export class BlobServer extends IrohProtocolBase {
  readonly alpn = BLOBS_ALPN;
  private readonly store: ImageStore;
  private readonly events: BlobServerEvents;

  constructor(store: ImageStore, events: BlobServerEvents = {}) {
    super();
    this.store = store;
    this.events = events;
  }

  protected async serveStream(bi: BiStream, _conn: Connection, _remoteId: string): Promise<void> {
    let id: Uint8Array = newRequestId();
    try {
      const frame = await readFrame(bi.recv);
      if (frame === undefined) return;
      id = frame.requestId;
      if (frame.type !== FrameType.Request)
        throw new BlobError('INVALID_ARGUMENT', `expected a Request frame, got type ${frame.type}`);
      let req: ReturnType<typeof decodeBlobRequest>;
      try {
        req = decodeBlobRequest(frame.payload);
      } catch (err) {
        throw new BlobError('INVALID_ARGUMENT', (err as Error).message);
      }
      const m = this.store.manifest(req.hash);
      if (!m) throw new BlobError('NOT_FOUND', `image ${req.hash.slice(0, 12)} not held here`);
      if (req.op === 'manifest') {
        await writeFrame(bi.send, FrameType.Response, id, encodeManifest(m), true);
      } else {
        if (req.index >= m.chunks.length)
          throw new BlobError('OUT_OF_RANGE', `chunk ${req.index} of ${m.chunks.length}`);
        const bytes = await this.store.readChunk(req.hash, req.index);
        await writeFrame(bi.send, FrameType.Response, id, bytes, true);
        this.events.onChunkServed?.(bytes.length);
      }
    } catch (err) {
      const text =
        err instanceof BlobError ? `${err.code}: ${err.message}` : `INTERNAL: ${(err as Error).message}`;
      await release(writeFrame(bi.send, FrameType.Error, id, new TextEncoder().encode(text), true));
    }
  }
}

class BlobError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
