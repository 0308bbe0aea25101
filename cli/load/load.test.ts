import { describe, expect, it } from 'vitest';
import { useTestLab } from '../run-lab.ts';
import { loadCluster, renderLoadReport } from './load.ts';

const lab = useTestLab('lab-load-');

describe('lab load', () => {
  it('sends at its rate over both transports and meets a threshold the lab can meet', async () => {
    const report = await loadCluster(lab.cluster, undefined, {
      rate: '50',
      duration: '2s',
      mix: 'ClusterService/HealthCheck=3,ClusterService/GetClusterStatus=1',
      slo: 'errors<50%',
    });
    expect(Object.keys(report.transports)).toEqual(['grpc', 'iroh']);
    for (const t of Object.values(report.transports)) {
      expect(t.sent).toBe(100);
      expect(t.ok + t.errors).toBe(100);
      expect(t.latencyMs.p99).toBeGreaterThan(0);
    }
    expect(report.breaches).toEqual([]);
    expect(renderLoadReport(report)).toMatch(/SLO met: errors<50%/);
  }, 60_000);

  it('fails a run whose threshold is broken, naming the threshold and the value', async () => {
    // No RPC answers in a microsecond, and a GetVmStatus without a name is refused (INVALID_ARGUMENT).
    const report = await loadCluster(lab.cluster, 'n1', {
      rate: '40',
      duration: '1s',
      transport: 'iroh',
      mix: 'ClusterService/GetVmStatus',
      slo: 'p99<1us,errors<1%',
    });
    const t = report.transports.iroh;
    expect(t?.errorsByKind).toEqual({ INVALID_ARGUMENT: 40 });
    expect(report.breaches.map((b) => b.threshold)).toEqual(['p99<1us', 'errors<1%']);
    expect(renderLoadReport(report)).toMatch(
      /SLO broken: iroh p99<1us \(p99 = .* ms\); iroh errors<1% \(errors = 100\.00 %/,
    );
  }, 60_000);

  it('refuses bad flags, naming them', async () => {
    await expect(loadCluster(lab.cluster, undefined, { rate: 'lots' })).rejects.toThrow(/--rate 'lots'/);
    await expect(loadCluster(lab.cluster, undefined, { slo: 'p99<soon' })).rejects.toThrow(
      /--slo 'p99<soon'/,
    );
    await expect(loadCluster(lab.cluster, undefined, { mix: 'Nope/X' })).rejects.toThrow(/no service 'Nope'/);
    await expect(loadCluster(lab.cluster, 'n7', {})).rejects.toThrow(/node 'n7': the lab has n1/);
  });
});
