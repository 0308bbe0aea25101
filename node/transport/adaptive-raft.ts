/**
 * The adaptive Raft transport (`raft_transport = { adaptive = { latency_threshold_ms } }`), per peer:
 * Raft starts on gRPC and moves to Iroh once the measured Iroh latency to that peer has stayed well
 * under the threshold; it goes back to gRPC as soon as an Iroh Raft call fails or the latency stays
 * over the threshold. Hysteresis (an entry band below the threshold, consecutive readings, a minimum
 * dwell after each switch) keeps a latency near the threshold from flapping Raft between transports,
 * which would cost more than either transport. Pure: the caller feeds readings and the clock.
 */
import type { TransportKind } from './vocabulary.ts';

export interface AdaptiveRaftTuning {
  /** Enter Iroh only below this share of the threshold. */
  enterRatio: number;
  /** Consecutive good readings before moving to Iroh. */
  readingsToEnter: number;
  /** Consecutive readings over the threshold before leaving Iroh (a failed call leaves at once). */
  readingsToLeave: number;
  /** No switch for this long after the last one, except leaving Iroh on a failed call. */
  minDwellMs: number;
}

export const ADAPTIVE_RAFT_TUNING: AdaptiveRaftTuning = Object.freeze({
  enterRatio: 0.8,
  readingsToEnter: 3,
  readingsToLeave: 2,
  minDwellMs: 5000,
});

export interface AdaptiveRaftState {
  transport: TransportKind;
  /** When the last switch happened (ms, the caller's clock); -Infinity before any. */
  switchedAt: number;
  /** Consecutive readings pointing away from the current transport. */
  streak: number;
}

/** One look at the Iroh path: a latency in ms, or a failure (an Iroh Raft call failed, no RTT could be read). */
export type AdaptiveReading = { latencyMs: number } | { failed: string };

export interface AdaptiveSwitch {
  from: TransportKind;
  to: TransportKind;
  reason: string;
}

export const initialAdaptiveRaft = (): AdaptiveRaftState => ({
  transport: 'grpc',
  switchedAt: Number.NEGATIVE_INFINITY,
  streak: 0,
});

export function nextAdaptiveRaft(
  state: AdaptiveRaftState,
  reading: AdaptiveReading,
  thresholdMs: number,
  nowMs: number,
  tuning: AdaptiveRaftTuning = ADAPTIVE_RAFT_TUNING,
): { state: AdaptiveRaftState; switched?: AdaptiveSwitch } {
  const dwelling = nowMs - state.switchedAt < tuning.minDwellMs;
  const to = (transport: TransportKind, reason: string) => ({
    state: { transport, switchedAt: nowMs, streak: 0 },
    switched: { from: state.transport, to: transport, reason },
  });
  if (state.transport === 'iroh') {
    if ('failed' in reading) return to('grpc', `Iroh failed: ${reading.failed}`);
    if (reading.latencyMs <= thresholdMs) return { state: { ...state, streak: 0 } };
    const streak = state.streak + 1;
    if (streak < tuning.readingsToLeave || dwelling) return { state: { ...state, streak } };
    return to(
      'grpc',
      `Iroh latency ${round(reading.latencyMs)} ms over ${thresholdMs} ms for ${streak} readings`,
    );
  }
  const enterBelow = thresholdMs * tuning.enterRatio;
  if ('failed' in reading || reading.latencyMs >= enterBelow) return { state: { ...state, streak: 0 } };
  const streak = state.streak + 1;
  if (streak < tuning.readingsToEnter || dwelling) return { state: { ...state, streak } };
  return to(
    'iroh',
    `Iroh latency ${round(reading.latencyMs)} ms under ${round(enterBelow)} ms for ${streak} readings`,
  );
}

const round = (ms: number) => Number(ms.toFixed(2));
