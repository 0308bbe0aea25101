/** The Grafana dashboards of this folder, read as data: each panel's title and its PromQL queries. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DASHBOARDS_DIR = join(import.meta.dirname, 'grafana', 'dashboards');
export const PROVISIONING_DIR = join(import.meta.dirname, 'grafana', 'provisioning');
export const RULES_FILE = join(import.meta.dirname, 'prometheus', 'rules.yml');
export const DATASOURCE_UID = 'blixard-prometheus';

export interface PanelQueries {
  dashboard: string;
  panel: string;
  datasourceUid: string | undefined;
  exprs: string[];
}

interface GrafanaPanel {
  title?: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: GrafanaPanel[];
}

export async function dashboardFiles(): Promise<string[]> {
  return (await readdir(DASHBOARDS_DIR)).filter((f) => f.endsWith('.json')).sort();
}

export async function panelQueries(): Promise<PanelQueries[]> {
  const out: PanelQueries[] = [];
  for (const file of await dashboardFiles()) {
    const dash = JSON.parse(await readFile(join(DASHBOARDS_DIR, file), 'utf8')) as {
      title: string;
      panels: GrafanaPanel[];
    };
    const visit = (p: GrafanaPanel) => {
      if (p.targets) {
        out.push({
          dashboard: dash.title,
          panel: p.title ?? '(untitled)',
          datasourceUid: p.datasource?.uid,
          exprs: p.targets.map((t) => t.expr ?? ''),
        });
      }
      for (const child of p.panels ?? []) visit(child);
    };
    for (const p of dash.panels) visit(p);
  }
  return out;
}
