/**
 * Seeded pseudo-random numbers: one generator for the whole project, so every decision drawn from a
 * seed — an election timeout, a dropped datagram, a fault schedule, a workload's next op — replays.
 *
 * sfc32 is small, fast and passes PractRand far beyond what a run draws; Math.random cannot be
 * seeded. Labels fold into the seed, so each user (a toxic, a partition, a client) draws from a
 * stream of its own and adding one never shifts another's sequence.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** Folds a seed and any number of labels into 128 bits of state (cyrb128). */
function seedState(seed: number, labels: readonly string[]): [number, number, number, number] {
  const text = `${seed}\u0000${labels.join('\u0000')}`;
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** The stream named by `labels` under `seed` (e.g. a proxy and a toxic name). */
export function seededRandom(seed: number, ...labels: string[]): Random {
  let [a, b, c, d] = seedState(seed, labels);
  const next: Random = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32 mixes its state during the first few rounds.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** An integer in [min, max). */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min));
}

/** One of `items`, drawn uniformly. */
export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick: no items to choose from');
  return items[Math.floor(random() * items.length)] as T;
}
