/**
 * The open model's clock, pure: request i is due `i / rate` seconds after the start. A timer wakes
 * the generator late (Node's timers run on the event loop's millisecond clock, about 1 ms late when
 * idle), and a request sent late by the generator would count the generator's own lag as the
 * server's latency. So the generator wakes `slackMs` before a request is due and sends every request
 * due within `slackMs` from then: one sent early is measured from its actual send, one sent late
 * from the time it was due.
 */

/** How early the generator wakes before a request is due, and how early it may send one. */
export const TIMER_SLACK_MS = 1.5;

export type ArrivalStep = { send: number } | { sleepMs: number };

/** Milliseconds from the start at which request `index` is due. */
export function dueAtMs(index: number, rate: number): number {
  return (index * 1000) / rate;
}

/**
 * At `elapsedMs` after the start, with requests `next`… still to send (of `total`): how many to send
 * now, or how long to sleep first.
 */
export function nextStep(
  elapsedMs: number,
  next: number,
  total: number,
  rate: number,
  slackMs = TIMER_SLACK_MS,
): ArrivalStep {
  let count = 0;
  while (next + count < total && dueAtMs(next + count, rate) <= elapsedMs + slackMs) count++;
  if (count > 0) return { send: count };
  return { sleepMs: Math.max(0, dueAtMs(next, rate) - elapsedMs - slackMs) };
}

/** The latency to record: from the intended send time, or from the actual one when sent early. */
export function latencyFrom(intendedMs: number, sentMs: number, doneMs: number): number {
  return doneMs - Math.min(intendedMs, sentMs);
}
