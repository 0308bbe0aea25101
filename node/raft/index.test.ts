import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../lib/index.ts';
import {
  bootstrapState,
  DiskStorage,
  decodeMessage,
  drainReady,
  type Entry,
  emptyState,
  encodeMessage,
  type NodeId,
  RaftCore,
} from './index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A driver in miniature: disk storage, encoded messages, a state machine that is a list of strings. */
class TinyNode {
  readonly id: NodeId;
  readonly dir: string;
  storage: DiskStorage;
  core: RaftCore;
  state: string[] = [];
  private readonly outbox: Uint8Array[];

  constructor(id: NodeId, dir: string, outbox: Uint8Array[]) {
    this.id = id;
    this.dir = dir;
    this.outbox = outbox;
    this.storage = DiskStorage.open(dir);
    this.core = this.boot();
  }

  private boot(): RaftCore {
    const persisted = this.storage.load();
    // The state machine starts from the stored snapshot; the core then re-applies the log after it.
    const data = persisted.snapshot?.data ?? new Uint8Array(0);
    this.state = data.length === 0 ? [] : JSON.parse(new TextDecoder().decode(data));
    return new RaftCore({ id: this.id, random: seededRandom(this.id.charCodeAt(0)) }, persisted);
  }

  restart(): void {
    this.storage.close();
    this.storage = DiskStorage.open(this.dir);
    this.core = this.boot();
  }

  drain(): void {
    drainReady(this.core, {
      persist: (rd) => this.storage.save(rd),
      send: (messages) => {
        for (const m of messages) this.outbox.push(encodeMessage(m));
      },
      restore: (snapshot) => {
        this.state = snapshot.data.length === 0 ? [] : JSON.parse(new TextDecoder().decode(snapshot.data));
      },
      apply: (entry: Entry) => {
        if (entry.type === 'normal' && entry.data.length > 0)
          this.state.push(new TextDecoder().decode(entry.data));
      },
      readStates: () => {},
    });
  }
}

describe('the public API, wired like the driver will wire it', () => {
  it('replicates through encoded messages and disk storage, and a restarted node recovers from disk', () => {
    const voters = ['a', 'b', 'c'];
    const outbox: Uint8Array[] = [];
    const nodes = new Map<NodeId, TinyNode>();
    for (const id of [...voters, 'd']) {
      const dir = mkdtempSync(join(tmpdir(), `raft-${id}-`));
      dirs.push(dir);
      const seed = DiskStorage.open(dir);
      seed.save(voters.includes(id) ? bootstrapState(voters) : emptyState());
      seed.close();
      nodes.set(id, new TinyNode(id, dir, outbox));
    }
    const node = (id: NodeId) => nodes.get(id) as TinyNode;
    const deliver = () => {
      for (let round = 0; round < 50 && outbox.length > 0; round++) {
        for (const bytes of outbox.splice(0)) {
          const m = decodeMessage(bytes);
          node(m.to).core.step(m);
          node(m.to).drain();
        }
      }
    };
    const tickAll = (n: number) => {
      for (let i = 0; i < n; i++) {
        for (const n of nodes.values()) {
          n.core.tick();
          n.drain();
        }
        deliver();
      }
    };

    tickAll(30);
    const leaderId = voters.find((id) => node(id).core.currentRole() === 'leader') as NodeId;
    expect(leaderId).toBeDefined();
    const leader = node(leaderId);
    for (const word of ['one', 'two', 'three'])
      expect(leader.core.propose(new TextEncoder().encode(word)).ok).toBe(true);
    leader.drain();
    deliver();
    tickAll(3);
    for (const id of voters) expect(node(id).state).toEqual(['one', 'two', 'three']);

    // Compact on the leader, then add d: it catches up by snapshot and is promoted.
    leader.storage.saveSnapshot(leader.core.compact(new TextEncoder().encode(JSON.stringify(leader.state))));
    expect(leader.core.proposeConfChange({ type: 'add-learner', nodeId: 'd' }).ok).toBe(true);
    leader.drain();
    tickAll(5);
    expect(node('d').state).toEqual(['one', 'two', 'three']);
    expect(leader.core.proposeConfChange({ type: 'promote-learner', nodeId: 'd' }).ok).toBe(true);
    leader.drain();
    tickAll(5);
    expect(node('d').core.confState().voters).toEqual(['a', 'b', 'c', 'd']);

    // A follower restarts from its data directory and replays its committed log.
    const follower = node(voters.find((id) => id !== leaderId) as NodeId);
    follower.restart();
    follower.drain();
    expect(follower.state).toEqual(['one', 'two', 'three']);
    leader.core.propose(new TextEncoder().encode('four'));
    leader.drain();
    tickAll(5);
    expect(follower.state).toEqual(['one', 'two', 'three', 'four']);
    expect(node('d').state).toEqual(['one', 'two', 'three', 'four']);
  });
});
