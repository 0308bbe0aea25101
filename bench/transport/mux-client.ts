/**
 * A client for the benchmark's multiplexed echo: many calls share one
 * long-lived Iroh stream, matched by request id. It measures what the
 * stream-per-call layout costs; it has no per-call cancellation, which is why
 * the node does not use it.
 */

import { orAbsent, release } from '../../node/lib/index.ts';
import {
  type BiStream,
  type Connection,
  FrameReader,
  FrameType,
  newRequestId,
  writeFrame,
} from '../../node/transport/index.ts';

export class MuxClient {
  private readonly pending = new Map<string, (payload: Uint8Array) => void>();
  private readonly bi: BiStream;
  private writing: Promise<void> = Promise.resolve();

  private constructor(bi: BiStream) {
    this.bi = bi;
    void this.readLoop();
  }

  static async open(conn: Connection): Promise<MuxClient> {
    return new MuxClient(await conn.openBi());
  }

  call(payload: Uint8Array): Promise<Uint8Array> {
    const id = newRequestId();
    const key = Buffer.from(id).toString('hex');
    const reply = new Promise<Uint8Array>((resolve) => this.pending.set(key, resolve));
    // Writes on one stream must not interleave: chain them.
    this.writing = this.writing.then(() => writeFrame(this.bi.send, FrameType.Request, id, payload));
    return reply;
  }

  async close(): Promise<void> {
    await this.writing;
    await release(this.bi.send.finish());
  }

  private async readLoop(): Promise<void> {
    const reader = new FrameReader(this.bi.recv);
    for (;;) {
      const frame = await orAbsent(reader.next());
      if (frame === undefined) return;
      const key = Buffer.from(frame.requestId).toString('hex');
      this.pending.get(key)?.(frame.payload);
      this.pending.delete(key);
    }
  }
}
