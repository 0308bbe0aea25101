/**
 * The dashboards hold together without a Prometheus: valid JSON, one data source, and only metric
 * names that the node or the UDP proxy define. (lab/observability checks every query against a
 * real Prometheus.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createProxyMetrics, UdpProxyCollection } from '../hub/udp/index.ts';
import { NodeMetrics } from '../node/metrics/index.ts';
import {
  DASHBOARDS_DIR,
  DATASOURCE_UID,
  dashboardFiles,
  PROVISIONING_DIR,
  panelQueries,
  prometheusConfig,
  RULES_FILE,
} from './index.ts';

const root = join(import.meta.dirname, '..');

/** The names the node's and the UDP proxy's own registries define, and the Toxiproxy exporter's. */
async function definedMetricNames(): Promise<Set<string>> {
  const registries = [
    new NodeMetrics({ node: 'n1', mode: 'dual' }).registry,
    createProxyMetrics(new UdpProxyCollection({ seed: 1 })),
  ];
  const names = new Set(registries.flatMap((r) => r.getMetricsAsArray().map((m) => m.name)));
  const exporter = await readFile(join(root, 'lab/observability/toxiproxy-exporter.ts'), 'utf8');
  for (const m of exporter.matchAll(/# TYPE ([a-z_:]+)/g)) names.add(m[1] as string);
  return names;
}

function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(blixard_[a-z_]+|udp_proxy_[a-z_]+|toxiproxy_[a-z_]+)\b/g)].map(
    (m) => m[1] as string,
  );
}

describe('dashboards', () => {
  it('have panels that all query the provisioned data source', async () => {
    const panels = await panelQueries();
    expect(new Set(panels.map((p) => p.dashboard))).toEqual(
      new Set(['Blixard: transport comparison', 'Blixard: Raft', 'Blixard: chaos']),
    );
    const ds = parse(await readFile(join(PROVISIONING_DIR, 'datasources', 'prometheus.yml'), 'utf8')) as {
      datasources: { uid: string }[];
    };
    expect(ds.datasources.map((d) => d.uid)).toEqual([DATASOURCE_UID]);
    for (const p of panels) {
      expect(p.datasourceUid, p.panel).toBe(DATASOURCE_UID);
      expect(p.exprs.length, p.panel).toBeGreaterThan(0);
      for (const e of p.exprs) expect(e.trim(), p.panel).not.toBe('');
    }
  });

  it('are well-formed Grafana dashboards: unique uids, unique panel ids, laid out without overlap', async () => {
    interface Panel {
      id?: number;
      type?: string;
      title?: string;
      gridPos?: { x: number; y: number; w: number; h: number };
      targets?: { refId?: string; expr?: string }[];
    }
    const uids = new Set<string>();
    const files = await dashboardFiles();
    expect(files.length).toBe(3);
    for (const file of files) {
      const dash = JSON.parse(await readFile(join(DASHBOARDS_DIR, file), 'utf8')) as {
        uid?: string;
        title?: string;
        schemaVersion?: number;
        panels?: Panel[];
      };
      expect(dash.uid, file).toMatch(/^[a-z0-9-]{1,40}$/);
      expect(uids.has(dash.uid as string), `${file}: uid ${dash.uid} used twice`).toBe(false);
      uids.add(dash.uid as string);
      expect(dash.title, file).toMatch(/^Blixard: /);
      expect(dash.schemaVersion, file).toBeGreaterThan(30);
      const panels = dash.panels ?? [];
      expect(panels.length, file).toBeGreaterThan(0);
      expect(new Set(panels.map((p) => p.id)).size, `${file}: panel ids`).toBe(panels.length);
      const cells = new Set<string>();
      for (const p of panels) {
        expect(p.type, `${file} ${p.title}`).toMatch(/^(timeseries|stat|gauge|table|bargauge)$/);
        const g = p.gridPos;
        expect(g, `${file} ${p.title}: gridPos`).toBeDefined();
        if (!g) continue;
        expect(g.x + g.w, `${file} ${p.title}: wider than the grid`).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(cells.has(`${x},${y}`), `${file} ${p.title} overlaps another panel at ${x},${y}`).toBe(
              false,
            );
            cells.add(`${x},${y}`);
          }
        }
        const refIds = (p.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size, `${file} ${p.title}: refIds`).toBe(refIds.length);
      }
    }
    const provider = parse(await readFile(join(PROVISIONING_DIR, 'dashboards', 'blixard.yml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(provider.providers.map((p) => [p.type, p.options.path])).toEqual([
      ['file', '/var/lib/grafana/dashboards'],
    ]);
  });

  it('use only metrics the node and the UDP proxy define', async () => {
    const defined = await definedMetricNames();
    const panels = await panelQueries();
    const rules = parse(await readFile(RULES_FILE, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const exprs = [
      ...panels.flatMap((p) => p.exprs),
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    for (const expr of exprs) {
      for (const name of metricNamesIn(expr)) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        expect(defined.has(name) || defined.has(base), `${name} in ${expr}`).toBe(true);
      }
    }
  });

  it('render a Prometheus config scraping every node and the hub directly', () => {
    const text = prometheusConfig({
      runId: 'r1',
      nodes: [
        { id: 'n1', address: 'blixard-r1-n1:9100' },
        { id: 'n2', address: 'blixard-r1-n2:9100' },
      ],
      udpProxy: { address: 'blixard-r1-hub:8475' },
      rulesFile: '/etc/prometheus/rules.yml',
    });
    const cfg = parse(text) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(cfg.rule_files).toEqual(['/etc/prometheus/rules.yml']);
    const targets = Object.fromEntries(
      cfg.scrape_configs.map((s) => [s.job_name, s.static_configs.flatMap((c) => c.targets)]),
    );
    expect(targets['blixard-node']).toEqual(['blixard-r1-n1:9100', 'blixard-r1-n2:9100']);
    expect(targets['chaos-hub-udp']).toEqual(['blixard-r1-hub:8475']);
  });
});
