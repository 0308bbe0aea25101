/**
 * An image workload: clients share small images (seeded bytes, inline) under names of their own
 * with ShareVmImage, and fetch images they shared with GetVmImage (inline, by name), from any node.
 * The history records the sha256 of the bytes shared and of the bytes served, with the node's
 * content hash and size, so an image checker can tell that what is served is what was shared.
 */

import { createHash } from 'node:crypto';
import { pick, type Random, randomInt } from '../../node/lib/index.ts';
import { type PlannedOp, plannedSpec, type WorkloadSpec } from './runner.ts';

export interface ImagePlan {
  f: 'image-share' | 'image-get';
  key: string;
  /** image-share: the bytes. */
  data?: Uint8Array | undefined;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The pure part: share a new image (seeded bytes) or fetch one this client shared. */
export class ImagePlanner {
  /** The client's options: its index, its seeded stream and its share of the workload. */
  readonly #o: { client: number; random: Random; prefix: string; maxImages: number };
  readonly #shared: string[] = [];
  #seq = 0;

  constructor(o: { client: number; random: Random; prefix: string; maxImages: number }) {
    this.#o = o;
  }

  next(): ImagePlan | undefined {
    const canShare = this.#seq < this.#o.maxImages;
    if (this.#shared.length > 0 && (!canShare || this.#o.random() < 0.7))
      return { f: 'image-get', key: pick(this.#o.random, this.#shared) };
    if (!canShare) return undefined;
    const size = randomInt(this.#o.random, 64, 4096);
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = Math.floor(this.#o.random() * 256);
    return { f: 'image-share', key: `${this.#o.prefix}${this.#o.client}-${this.#seq++}`, data };
  }

  shared(name: string): void {
    this.#shared.push(name);
  }
}

export function imageSpec(o: { clients: number; prefix: string; maxImages?: number }): WorkloadSpec {
  return plannedSpec(
    'image',
    o.clients,
    (client, random) =>
      new ImagePlanner({ client, random, prefix: `${o.prefix}.img`, maxImages: o.maxImages ?? 20 }),
    imageOp,
  );
}

function imageOp(p: ImagePlan, planner: ImagePlanner): PlannedOp {
  const name = p.key;
  if (p.f === 'image-share') {
    const data = p.data ?? new Uint8Array();
    const digest = sha256(data);
    return {
      f: 'image-share',
      key: name,
      value: digest,
      readOnly: false,
      call: async (s, opts) => {
        const r = await s.cluster.shareVmImage({ imageName: name, version: '1', data }, opts);
        return {
          value: digest,
          result: { hash: r.hash, size: Number(r.size), sha256: digest, bytes: data.length },
        };
      },
      done: (type) => {
        if (type === 'ok') planner.shared(name);
      },
    };
  }
  return {
    f: 'image-get',
    key: name,
    readOnly: true,
    call: async (s, opts) => {
      const r = await s.cluster.getVmImage({ imageName: name, inline: true }, opts);
      const digest = sha256(r.data);
      return {
        value: digest,
        result: {
          hash: r.hash,
          size: Number(r.size),
          sha256: digest,
          bytes: r.data.length,
          from: r.fetchedFrom,
        },
      };
    },
  };
}
