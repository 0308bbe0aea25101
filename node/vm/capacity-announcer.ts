/**
 * Makes sure the replicated member record of this node carries the capacity
 * it offers to VMs. Bootstrap members never send JoinCluster, and a joining
 * node may record its capacity only once it is a member: so, whenever the
 * record is missing or differs from the config, the node (re)announces itself
 * to the leader. JoinCluster of a known member only rewrites its record.
 */

import type { AddressBook, RaftDriver } from '../cluster/index.ts';
import { leaderClient } from '../cluster/index.ts';
import type { Logger } from '../log.ts';
import type { AddressRecord, ClusterState, ResourcesRecord } from '../state/index.ts';
import { ClusterService } from '../transport/index.ts';

export interface CapacityAnnouncerOptions {
  nodeId: string;
  capacity: ResourcesRecord;
  address: () => AddressRecord;
  driver: RaftDriver;
  book: AddressBook;
  state: ClusterState;
  timeoutMs: number;
  log: Logger;
  /** The cluster's join token, sent with the announcement (it may travel over gRPC). */
  joinToken?: string;
}

export class CapacityAnnouncer {
  private readonly o: CapacityAnnouncerOptions;
  private inFlight = false;
  private lastTry = 0;

  constructor(o: CapacityAnnouncerOptions) {
    this.o = o;
  }

  /** Whether the recorded capacity is what this node offers. */
  get announced(): boolean {
    const c = this.o.state.member(this.o.nodeId)?.capacity;
    const want = this.o.capacity;
    return (
      c !== undefined && c.vcpus === want.vcpus && c.memoryMb === want.memoryMb && c.diskGb === want.diskGb
    );
  }

  /** Called often; acts at most once a second while the record is missing or stale. */
  poll(): void {
    const { driver, nodeId } = this.o;
    if (this.inFlight || this.announced || Date.now() - this.lastTry < 1000) return;
    const conf = driver.status().confState;
    if (!driver.leaderId || !(conf.voters.includes(nodeId) || conf.learners.includes(nodeId))) return;
    this.inFlight = true;
    this.lastTry = Date.now();
    const c = this.o.capacity;
    void this.announce()
      .then(() => this.o.log.info('capacity announced', { ...c }))
      .catch((err: unknown) => this.o.log.debug('capacity announcement failed', { error: String(err) }))
      .finally(() => {
        this.inFlight = false;
      });
  }

  /** The leader records itself directly (it has no address of its own); others ask the leader. */
  private async announce(): Promise<void> {
    const { driver, nodeId, capacity } = this.o;
    if (driver.isLeader) {
      await driver.propose(
        { type: 'member.join', id: nodeId, address: this.o.address(), capacity },
        this.o.timeoutMs,
      );
      return;
    }
    await leaderClient(driver, this.o.book, ClusterService).joinCluster(
      {
        nodeId,
        address: this.o.address(),
        capacity: {
          vcpus: capacity.vcpus,
          memoryMb: BigInt(capacity.memoryMb),
          diskGb: BigInt(capacity.diskGb),
        },
        joinToken: this.o.joinToken ?? '',
      },
      { timeoutMs: this.o.timeoutMs },
    );
  }
}
