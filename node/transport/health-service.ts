/**
 * The standard grpc.health.v1 service: Check answers at once, Watch sends the
 * current status and then every change, until the caller goes away.
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

  /** Sets the status of a service name ('' is the server as a whole). */
  set(service: string, status: Serving): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    this.changes.emit('change', service);
  }

  get(service: string): Serving | undefined {
    return this.statuses.get(service);
  }

  impl(): ServiceImpl<typeof Health> {
    return {
      check: (req) => {
        const status = this.statuses.get(req.service);
        if (status === undefined) throw new RpcError(Code.NOT_FOUND, `unknown service '${req.service}'`);
        return { status };
      },
      watch: (req, ctx) => this.watch(req.service, ctx.signal),
    };
  }

  private async *watch(service: string, signal: AbortSignal) {
    let last = this.statuses.get(service) ?? Serving.SERVICE_UNKNOWN;
    yield { status: last };
    try {
      for await (const [changed] of on(this.changes, 'change', { signal })) {
        if (changed !== service) continue;
        const now = this.statuses.get(service) ?? Serving.SERVICE_UNKNOWN;
        if (now === last) continue;
        last = now;
        yield { status: now };
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }
}
