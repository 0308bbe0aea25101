/** The image checker over hand-written histories and seeded ones from a correct store, mutated. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pick, seededRandom } from '../../node/lib/index.ts';
import { expectEachFails } from './expect-fails.ts';
import type { OpRecord } from './history.ts';
import { checkImages } from './images.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let nextId = 0;

function share(key: string, t: number, bytes: string, type: 'ok' | 'fail' | 'info' = 'ok'): OpRecord[] {
  const id = nextId++;
  const d = sha(bytes);
  return [
    { id, process: 0, type: 'invoke', f: 'image-share', key, value: d, time: t },
    {
      id,
      process: 0,
      type,
      f: 'image-share',
      key,
      value: d,
      time: t + 5,
      ...(type === 'ok' && { result: { hash: d, size: bytes.length, sha256: d, bytes: bytes.length } }),
    },
  ];
}

function get(key: string, t: number, bytes: string, over: Record<string, unknown> = {}): OpRecord[] {
  const id = nextId++;
  const d = sha(bytes);
  const result = { hash: d, size: bytes.length, sha256: d, bytes: bytes.length, from: 'n2', ...over };
  return [
    { id, process: 1, type: 'invoke', f: 'image-get', key, time: t },
    { id, process: 1, type: 'ok', f: 'image-get', key, value: d, time: t + 5, result },
  ];
}

/** A correct store: every get of a shared image serves its bytes. */
function simulate(seed: number): OpRecord[] {
  const random = seededRandom(seed, 'images');
  const images = new Map<string, string>();
  const out: OpRecord[] = [];
  for (let i = 0; i < 20; i++) {
    const t = i * 50;
    if (images.size === 0 || random() < 0.3) {
      const key = `img${seed}-${i}`;
      const bytes = `bytes-${seed}-${i}-${Math.floor(random() * 1e9)}`;
      images.set(key, bytes);
      out.push(...share(key, t, bytes));
    } else {
      const key = pick(random, [...images.keys()]);
      out.push(...get(key, t, images.get(key) as string));
    }
  }
  return out;
}

const MUTATIONS: Record<string, (r: Record<string, unknown>) => Record<string, unknown>> = {
  'bytes changed': (r) => ({ ...r, sha256: sha('corrupt'), bytes: r.bytes }),
  truncated: (r) => ({ ...r, bytes: Number(r.bytes) - 1, sha256: sha('short') }),
  'hash named wrongly': (r) => ({ ...r, hash: sha('other') }),
  'size named wrongly': (r) => ({ ...r, size: Number(r.size) + 1 }),
};

function mutateAGet(h: OpRecord[], seed: number, m: (r: Record<string, unknown>) => Record<string, unknown>) {
  const gets = h.filter((e) => e.f === 'image-get' && e.type === 'ok');
  const victim = pick(seededRandom(seed, 'victim'), gets);
  return h.map((e) => (e === victim ? { ...e, result: m(e.result as Record<string, unknown>) } : e));
}

describe('images checker', () => {
  it('passes correct runs', () => {
    expect(checkImages([...share('a', 0, 'xyz'), ...get('a', 10, 'xyz')]).valid).toBe(true);
    for (let seed = 1; seed <= 30; seed++)
      expect(checkImages(simulate(seed)).valid, `seed ${seed}`).toBe(true);
    // A share of unknown outcome may have happened: its bytes may be served.
    expect(checkImages([...share('a', 0, 'xyz', 'info'), ...get('a', 10, 'xyz')]).valid).toBe(true);
  });

  it('hand-written faults, each named', () => {
    const cases: [OpRecord[], RegExp][] = [
      [
        [...share('a', 0, 'xyz'), ...get('a', 10, 'xyw')],
        /served bytes with sha256 .* but the bytes shared hash to/,
      ],
      [
        [...share('a', 0, 'xyz', 'fail'), ...get('a', 10, 'xyz')],
        /no share of that name could have happened/,
      ],
      [[...get('a', 0, 'xyz'), ...share('a', 10, 'xyz')], /no share of that name could have happened/],
      [[...share('a', 0, 'xyz'), ...get('a', 10, 'xyz', { size: 4 })], /named 4 bytes and served 3/],
      [
        [...share('a', 0, 'xyz'), ...get('a', 10, 'xyz', { hash: sha('q') })],
        /named hash .* for bytes that hash to/,
      ],
    ];
    expectEachFails(checkImages, cases);
  });

  it('catches every generated fault', () => {
    for (const [what, m] of Object.entries(MUTATIONS))
      for (let seed = 1; seed <= 20; seed++) {
        const r = checkImages(mutateAGet(simulate(seed), seed, m));
        expect(r.valid, `${what}, seed ${seed}: ${r.explanation}`).toBe(false);
      }
  });

  it('nothing fetched back is unknown', () => {
    expect(checkImages(share('a', 0, 'xyz')).valid).toBe('unknown');
  });
});
