import { afterEach, describe, expect, it } from 'vitest';
import { LoadMetrics } from './metrics.ts';

let metrics: LoadMetrics | undefined;
afterEach(() => metrics?.close());

describe("a load run's metrics", () => {
  it('count requests by transport, method and outcome, and time the answered ones, on /metrics', async () => {
    metrics = new LoadMetrics('load-test');
    metrics.observe('grpc', 'ClusterService/HealthCheck', 'ok', 2);
    metrics.observe('grpc', 'ClusterService/HealthCheck', 'UNAVAILABLE', 30);
    metrics.observe('iroh', 'ClusterService/HealthCheck', 'ok', 4);
    expect(metrics.answeredSoFar()).toBe('grpc 2 answered, iroh 1 answered');
    const address = await metrics.serve('127.0.0.1');
    const scraped = metrics.waitForScrape(5000);
    const text = await (await fetch(`http://${address}/metrics`)).text();
    expect(await scraped).toBe(true);
    expect(text).toContain(
      'blixard_load_requests_total{load="load-test",transport="grpc",method="ClusterService/HealthCheck",outcome="UNAVAILABLE"} 1',
    );
    expect(text).toContain(
      'blixard_load_latency_seconds_bucket{le="0.003",load="load-test",transport="grpc",method="ClusterService/HealthCheck"} 1',
    );
    expect(text).toContain(
      'blixard_load_latency_seconds_count{load="load-test",transport="iroh",method="ClusterService/HealthCheck"} 1',
    );
    expect((await fetch(`http://${address}/other`)).status).toBe(404);
  });

  it('say when nobody scraped them within the bound', async () => {
    metrics = new LoadMetrics('load-idle');
    await metrics.serve('127.0.0.1');
    expect(await metrics.waitForScrape(200)).toBe(false);
  });
});
