/**
 * VM invariants from the guest sampler (samples.jsonl, `kind: 'guests'`: the guest processes found
 * inside each node, by the lab, not by the node). Pure. Each returns
 * { name, valid: true | false | 'unknown', explanation, evidence }:
 *
 * - single-run: a VM's guest never runs on two nodes at once. Samples of different nodes are taken
 *   at different moments, so "at once" is proven, not guessed: node A's guest of the VM has the
 *   same pid in two consecutive samples a1 ≤ t ≤ a2 (so it ran throughout), and node B's sample at
 *   t shows a guest of the same VM;
 * - capacity: no node's guests together use more vCPUs or memory than its capacity (each guest's
 *   size from its own command line; capacity given by the caller, e.g. from the node configs).
 *
 * What it cannot see: a guest that lived between two samples, and a double run shorter than one
 * sampling period of the first node.
 */

import type { CheckResult } from './raft-safety.ts';

export interface GuestLike {
  pid: number;
  vm: string;
  vcpus?: number | undefined;
  memoryMb?: number | undefined;
}

export interface GuestSampleLike {
  kind: string;
  t: number;
  node: string;
  ok: boolean;
  guests?: GuestLike[] | undefined;
}

type OkGuests = GuestSampleLike & { guests: GuestLike[] };

function okGuestSamples(samples: readonly GuestSampleLike[]): OkGuests[] {
  return samples
    .filter((s): s is OkGuests => s.kind === 'guests' && s.ok && Array.isArray(s.guests))
    .sort((a, b) => a.t - b.t);
}

export function checkSingleRun(samples: readonly GuestSampleLike[]): CheckResult {
  const name = 'vm: a guest never runs on two nodes at once';
  const ok = okGuestSamples(samples);
  const nodes = new Map<string, OkGuests[]>();
  for (const s of ok) nodes.set(s.node, [...(nodes.get(s.node) ?? []), s]);
  if (ok.length === 0) return { name, valid: 'unknown', explanation: 'no guest samples', evidence: [] };
  if (ok.every((s) => s.guests.length === 0))
    return { name, valid: true, explanation: `no guest ran in any of ${ok.length} samples`, evidence: [] };
  let seen = 0;
  for (const [a, list] of nodes) {
    for (let i = 1; i < list.length; i++) {
      const a1 = list[i - 1] as OkGuests;
      const a2 = list[i] as OkGuests;
      for (const g of a1.guests) {
        // The same process in both samples: it ran throughout [a1.t, a2.t].
        if (!a2.guests.some((h) => h.vm === g.vm && h.pid === g.pid)) continue;
        seen++;
        for (const [b, other] of nodes) {
          if (b === a) continue;
          const clash = other.find((s) => s.t >= a1.t && s.t <= a2.t && s.guests.some((h) => h.vm === g.vm));
          if (clash)
            return {
              name,
              valid: false,
              explanation: `vm '${g.vm}' ran on ${a} (pid ${g.pid} from ${a1.t} to ${a2.t} ms) and on ${b} at ${clash.t} ms`,
              evidence: [
                { t: a1.t, node: a, guest: g },
                { t: a2.t, node: a, guest: g },
                { t: clash.t, node: b, guests: clash.guests.filter((h) => h.vm === g.vm) },
              ],
            };
        }
      }
    }
  }
  if (seen === 0)
    return {
      name,
      valid: 'unknown',
      explanation: 'no guest was seen in two consecutive samples',
      evidence: [],
    };
  return { name, valid: true, explanation: `${nodes.size} nodes, no VM on two nodes at once`, evidence: [] };
}

export function checkCapacity(
  samples: readonly GuestSampleLike[],
  capacity: Readonly<Record<string, { vcpus: number; memoryMb: number }>>,
): CheckResult {
  const name = 'vm: no node above its capacity';
  const ok = okGuestSamples(samples);
  let judged = 0;
  for (const s of ok) {
    const cap = capacity[s.node];
    if (!cap) continue;
    judged++;
    const vcpus = s.guests.reduce((n, g) => n + (g.vcpus ?? 0), 0);
    const memoryMb = s.guests.reduce((n, g) => n + (g.memoryMb ?? 0), 0);
    if (vcpus > cap.vcpus || memoryMb > cap.memoryMb)
      return {
        name,
        valid: false,
        explanation: `${s.node} ran ${s.guests.length} guests using ${vcpus} vCPUs and ${memoryMb} MB at ${s.t} ms (capacity ${cap.vcpus} vCPUs, ${cap.memoryMb} MB)`,
        evidence: [s],
      };
  }
  if (judged === 0)
    return {
      name,
      valid: 'unknown',
      explanation: 'no guest sample of a node with a known capacity',
      evidence: [],
    };
  return { name, valid: true, explanation: `${judged} samples within capacity`, evidence: [] };
}
