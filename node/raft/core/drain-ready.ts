import type { RaftCore } from './raft-core.ts';
import type { Entry, RaftMessage, ReadState, Ready, Snapshot } from './types.ts';

/** What the driver does with a Ready; drainReady calls these in the order that keeps Raft safe. */
export interface ReadyHandlers {
  /** Make the Ready's snapshot, entries and hard state durable (fsync) before returning. */
  persist(ready: Ready): void;
  /** Hand messages to the transport; called only after persist returned. */
  send(messages: readonly RaftMessage[]): void;
  /** Replace the state machine with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void;
  /** Apply one committed entry to the state machine, in log order. */
  apply(entry: Entry): void;
  /** ReadIndex confirmations: serve each read once the state machine has applied its index. */
  readStates(states: readonly ReadState[]): void;
}

/**
 * Processes every pending Ready of `core`: persist, then send, then restore/apply, then advance.
 * Sending only after persisting is what makes a vote or an acknowledgement survive a crash.
 * Returns the number of Ready batches handled.
 */
export function drainReady(core: RaftCore, handlers: ReadyHandlers): number {
  let batches = 0;
  while (core.hasReady()) {
    const rd = core.ready();
    handlers.persist(rd);
    if (rd.messages.length > 0) handlers.send(rd.messages);
    if (rd.snapshot) handlers.restore(rd.snapshot);
    for (const entry of rd.committedEntries) handlers.apply(entry);
    if (rd.readStates.length > 0) handlers.readStates(rd.readStates);
    core.advance();
    batches++;
  }
  return batches;
}
