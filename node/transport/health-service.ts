/**
 * The standard grpc.health.v1 service: Check answers at once, Watch sends the
 * current status and then every change, until the caller goes away.
 *
 * Every service the node serves has a status (so `grpc_health_probe
 * -service=blixard.ClusterService` works): its own when one was set, else the
 * server's ('').
 */
import { EventEmitter, on } from 'node:events';
import { HealthCheckResponse_ServingStatus as Serving } from '../gen/grpc/health/v1/health_pb.js';
import type { ServiceImpl } from './registry.ts';
import type { Health } from './services.ts';
import { Code, RpcError } from './status.ts';

export { Serving };

export class HealthState {
  private readonly statuses = new Map<string, Serving>([['', Serving.SERVING]]);
  private readonly changes = new EventEmitter();
  private readonly served: () => Iterable<string>;

  /** `served` names the services the node serves (e.g. those of its registry). */
  constructor(served: () => Iterable<string> = () => []) {
    this.served = served;
  }

  /** Sets the status of a service name ('' is the server as a whole). */
  set(service: string, status: Serving): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    this.changes.emit('change', service);
  }

  /** The status of a service name, undefined for a name the node does not serve. */
  get(service: string): Serving | undefined {
    const own = this.statuses.get(service);
    if (own !== undefined) return own;
    for (const name of this.served()) if (name === service) return this.statuses.get('');
    return undefined;
  }

  impl(): ServiceImpl<typeof Health> {
    return {
      check: (req) => {
        const status = this.get(req.service);
        if (status === undefined) throw new RpcError(Code.NOT_FOUND, `unknown service '${req.service}'`);
        return { status };
      },
      watch: (req, ctx) => this.watch(req.service, ctx.signal),
    };
  }

  private async *watch(service: string, signal: AbortSignal) {
    let last = this.get(service) ?? Serving.SERVICE_UNKNOWN;
    yield { status: last };
    try {
      // Any change may be this service's: its own, or the server's that it follows.
      for await (const _ of on(this.changes, 'change', { signal })) {
        const now = this.get(service) ?? Serving.SERVICE_UNKNOWN;
        if (now === last) continue;
        last = now;
        yield { status: now };
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }
}
