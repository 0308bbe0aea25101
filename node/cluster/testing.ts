/**
 * Test support: node n1's real Raft driver over in-memory storage, sending nothing (any other voter
 * never hears from it), with the consensus RPC handlers on top, to be called directly.
 */
import { createLogger } from '../log.ts';
import { bootstrapState, MemoryStorage } from '../raft/index.ts';
import { ClusterState } from '../state/index.ts';
import { ClientFactory, GRPC_ONLY, type TransportMode } from '../transport/index.ts';
import { AddressBook } from './address-book.ts';
import { RaftDriver } from './raft-driver.ts';
import { raftServices } from './raft-services.ts';
import { type ReadBarrierOptions, readBarrier } from './read-barrier.ts';

export interface UnheardNodeOptions {
  voters: readonly string[];
  tickMs: number;
  electionTicks: number;
  mode: TransportMode;
  proposalTimeoutMs: number;
  read: ReadBarrierOptions;
  joinToken?: string | undefined;
}

/** The driver (not started) and its services; the caller starts and stops the driver. */
export function unheardNode(opts: UnheardNodeOptions) {
  const storage = new MemoryStorage(bootstrapState([...opts.voters]));
  const state = new ClusterState();
  const driver = new RaftDriver(
    {
      id: 'n1',
      storage,
      state,
      timings: {
        tickMs: opts.tickMs,
        electionTicks: opts.electionTicks,
        heartbeatTicks: 1,
        snapshotEntries: 10_000,
      },
      send: () => {},
      log: createLogger('test'),
      seed: 1,
    },
    storage.load(),
  );
  const services = raftServices({
    nodeId: 'n1',
    mode: opts.mode,
    driver,
    state,
    book: new AddressBook([], state, new ClientFactory({ strategy: GRPC_ONLY })),
    proposalTimeoutMs: opts.proposalTimeoutMs,
    promoteWhenCaughtUp: () => {},
    read: readBarrier(driver, state, opts.read),
    ...(opts.joinToken !== undefined ? { joinToken: opts.joinToken } : {}),
  });
  return { driver, state, services };
}
