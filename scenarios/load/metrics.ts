/**
 * A load run's figures for Prometheus, while it runs: requests by transport, method and outcome, and
 * their latency (from the intended send time) as a histogram, served on /metrics from an address the
 * caller picks. `waitForScrape` lets the run end only after Prometheus read its final figures.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { sleep } from '../../node/lib/index.ts';

/** Buckets in seconds: 100 µs to 10 s, dense where RPCs on a lab land (0.5–50 ms). */
const BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25,
  0.5, 1, 2.5, 5, 10,
];

export class LoadMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'load' | 'transport' | 'method' | 'outcome'>;
  private readonly latency: Histogram<'load' | 'transport' | 'method'>;
  private server: Server | undefined;
  private scrapes = 0;
  /** Answers so far per transport (for progress lines; Prometheus reads the counters). */
  private readonly answered = new Map<string, number>();
  readonly loadId: string;

  constructor(loadId: string) {
    this.loadId = loadId;
    this.requests = new Counter({
      name: 'blixard_load_requests_total',
      help: 'Requests a `lab load` run sent, by transport, method and outcome (ok or the status code).',
      labelNames: ['load', 'transport', 'method', 'outcome'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'blixard_load_latency_seconds',
      help: 'Latency of answered `lab load` requests, from their intended send time (open model).',
      labelNames: ['load', 'transport', 'method'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
  }

  observe(transport: string, method: string, outcome: string, latencyMs: number): void {
    const labels = { load: this.loadId, transport, method };
    this.requests.inc({ ...labels, outcome });
    this.answered.set(transport, (this.answered.get(transport) ?? 0) + 1);
    if (outcome !== 'SHED' && outcome !== 'UNANSWERED') this.latency.observe(labels, latencyMs / 1000);
  }

  /** Serves /metrics on `host` (port chosen by the system); resolves to host:port. */
  async serve(host: string): Promise<string> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void this.registry.metrics().then((text) => {
        this.scrapes++;
        res.writeHead(200, { 'content-type': this.registry.contentType }).end(text);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** `grpc 400 answered, iroh 398 answered` so far. */
  answeredSoFar(): string {
    return [...this.answered].map(([t, n]) => `${t} ${n} answered`).join(', ') || 'nothing answered yet';
  }

  /** How many times /metrics was read. */
  get scrapeCount(): number {
    return this.scrapes;
  }

  /** Resolves true once /metrics is read after this call, false after `boundMs`. */
  async waitForScrape(boundMs: number): Promise<boolean> {
    const before = this.scrapes;
    const deadline = Date.now() + boundMs;
    while (this.scrapes === before && Date.now() < deadline) await sleep(100);
    return this.scrapes > before;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
