import type { ConfChange, ConfState, NodeId } from './types.ts';

/** The current members: voters decide elections and commits; learners only follow the log. */
export class Membership {
  readonly voters: Set<NodeId>;
  readonly learners: Set<NodeId>;

  constructor(state: ConfState) {
    this.voters = new Set(state.voters);
    this.learners = new Set(state.learners);
  }

  toConfState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id);
  }

  isMember(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  members(): NodeId[] {
    return [...this.voters, ...this.learners];
  }

  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /** Whether `granted` voters form a majority. */
  hasQuorum(granted: ReadonlySet<NodeId>): boolean {
    let n = 0;
    for (const id of this.voters) if (granted.has(id)) n++;
    return n >= this.quorum();
  }

  /** The highest index that a majority of voters has: the commit candidate. */
  committedIndex(matchOf: (id: NodeId) => number): number {
    if (this.voters.size === 0) return 0;
    const matches = [...this.voters].map(matchOf).sort((a, b) => b - a);
    return matches[this.quorum() - 1] ?? 0;
  }

  /** Why a change cannot be applied to this membership, or undefined when it can. */
  validate(change: ConfChange): string | undefined {
    switch (change.type) {
      case 'add-learner':
        return this.isMember(change.nodeId) ? `${change.nodeId} is already a member` : undefined;
      case 'promote-learner':
        return this.learners.has(change.nodeId) ? undefined : `${change.nodeId} is not a learner`;
      case 'remove-node':
        if (!this.isMember(change.nodeId)) return `${change.nodeId} is not a member`;
        if (this.voters.size === 1 && this.voters.has(change.nodeId)) return 'cannot remove the last voter';
        return undefined;
    }
  }

  apply(change: ConfChange): void {
    switch (change.type) {
      case 'add-learner':
        this.learners.add(change.nodeId);
        break;
      case 'promote-learner':
        this.learners.delete(change.nodeId);
        this.voters.add(change.nodeId);
        break;
      case 'remove-node':
        this.learners.delete(change.nodeId);
        this.voters.delete(change.nodeId);
        break;
    }
  }
}
