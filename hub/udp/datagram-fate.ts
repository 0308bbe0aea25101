/**
 * The pure part of the proxy: given the toxics on one stream, the state of one flow (a session's
 * direction) and a datagram's size and arrival time, decide what happens to that datagram.
 * No sockets, no timers, no clock: the caller passes `now`, so tests can replay decisions exactly.
 */
import { type Random, seededRandom } from '../../node/lib/index.ts';
import type { UdpToxic } from './toxic-spec.ts';

/** A toxic as it runs: its spec, its own random stream and the little state some toxics keep. */
export interface ActiveToxic {
  readonly spec: UdpToxic;
  readonly random: Random;
  /** When the toxic was added (ms, caller's clock); timeout toxics count from here. */
  readonly addedAt: number;
  /** Gilbert-Elliott loss: whether the chain is in its bad (lossy) state. */
  inBadState: boolean;
}

export function activateToxic(spec: UdpToxic, seed: number, proxyName: string, now: number): ActiveToxic {
  // The stream is named by proxy and toxic, so traffic on other links never shifts this toxic's draws.
  return { spec, random: seededRandom(seed, proxyName, spec.name), addedAt: now, inBadState: false };
}

/** Per session and direction: what ordering, bandwidth and limit toxics must remember between datagrams. */
export interface FlowState {
  /** When the last scheduled datagram of this flow is due; keeps delayed datagrams in order. */
  lastDueAt: number;
  /** When the bandwidth-limited link is free to start serialising the next datagram. */
  linkFreeAt: number;
  /** Bytes counted by each limit_data toxic, by toxic name. */
  limitCounts: Map<string, number>;
}

export function newFlowState(): FlowState {
  return { lastDueAt: 0, linkFreeAt: 0, limitCounts: new Map() };
}

export type DropReason = 'loss' | 'timeout' | 'limit_data' | 'queue_full';

export interface Fate {
  /** Why the datagram is dropped, or null when it is delivered. */
  drop: DropReason | null;
  /** Extra copies to send along with the datagram. */
  copies: number;
  /** When to send it (ms on the caller's clock); equal to `now` when nothing delays it. */
  dueAt: number;
  /** Reorder: hold it back until the flow's next datagram passed, for at most `holdMaxMs`. */
  hold: boolean;
  holdMaxMs: number;
  /** A timeout toxic with a deadline has expired: the session should be closed. */
  closeSession: boolean;
}

function applies(toxic: ActiveToxic): boolean {
  // No draw at toxicity 1, so adding toxicity to a spec does not shift the draws of the toxic itself.
  return toxic.spec.toxicity >= 1 || toxic.random() < toxic.spec.toxicity;
}

function lostByGilbertElliott(toxic: ActiveToxic, a: { good_to_bad: number; bad_to_good: number }): boolean {
  const spec = toxic.spec;
  if (spec.type !== 'loss') return false;
  const change = toxic.random();
  if (toxic.inBadState ? change < a.bad_to_good : change < a.good_to_bad)
    toxic.inBadState = !toxic.inBadState;
  const p = toxic.inBadState ? spec.attributes.loss_bad : spec.attributes.loss_good;
  return toxic.random() < p;
}

/**
 * Runs the toxics in the order they were added (as Toxiproxy chains them) and plans the datagram.
 * Mutates the toxics' random streams and the flow state, exactly once per datagram.
 */
export function decideFate(toxics: readonly ActiveToxic[], flow: FlowState, size: number, now: number): Fate {
  const fate: Fate = { drop: null, copies: 0, dueAt: now, hold: false, holdMaxMs: 0, closeSession: false };
  let delayMs = 0;
  let rate = 0;
  let queueBytes = 0;
  for (const toxic of toxics) {
    if (!applies(toxic)) continue;
    const spec = toxic.spec;
    switch (spec.type) {
      case 'loss': {
        const a = spec.attributes;
        const lost =
          a.mode === 'gilbert_elliott' ? lostByGilbertElliott(toxic, a) : toxic.random() < a.probability;
        if (lost) fate.drop = 'loss';
        break;
      }
      case 'timeout':
        fate.drop = 'timeout';
        fate.closeSession = spec.attributes.timeout > 0 && now - toxic.addedAt >= spec.attributes.timeout;
        break;
      case 'limit_data': {
        const seen = flow.limitCounts.get(spec.name) ?? 0;
        if (seen + size > spec.attributes.bytes) fate.drop = 'limit_data';
        // Once over the limit the flow stays blackholed, like a closed connection.
        flow.limitCounts.set(spec.name, seen + size);
        break;
      }
      case 'duplicate':
        if (toxic.random() < spec.attributes.probability) fate.copies += spec.attributes.copies;
        break;
      case 'reorder':
        if (toxic.random() < spec.attributes.probability) {
          fate.hold = true;
          fate.holdMaxMs = Math.max(fate.holdMaxMs, spec.attributes.delay);
        }
        break;
      case 'latency': {
        const { latency, jitter } = spec.attributes;
        delayMs += latency + (jitter > 0 ? Math.floor(toxic.random() * 2 * jitter) - jitter : 0);
        break;
      }
      case 'bandwidth':
        if (spec.attributes.rate > 0 && (rate === 0 || spec.attributes.rate < rate)) {
          rate = spec.attributes.rate;
          queueBytes = spec.attributes.queue_bytes ?? Math.max(65_536, Math.round(rate * 1000));
        }
        break;
    }
    if (fate.drop !== null) return fate;
  }

  let sentAt = now;
  if (rate > 0) {
    // rate is KB/s, i.e. bytes per ms; a datagram waits for the queue ahead of it, then serialises.
    const start = Math.max(now, flow.linkFreeAt);
    const backlogBytes = (start - now) * rate;
    if (backlogBytes + size > queueBytes) {
      fate.drop = 'queue_full';
      return fate;
    }
    sentAt = start + size / rate;
    flow.linkFreeAt = sentAt;
  }
  // Delays keep the flow in order (Toxiproxy delays a byte stream); only the reorder toxic reorders.
  fate.dueAt = Math.max(sentAt + Math.max(0, delayMs), flow.lastDueAt);
  flow.lastDueAt = fate.dueAt;
  return fate;
}
