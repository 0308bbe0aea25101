import { sleep } from '../../node/lib/index.ts';
/** The parts of Prometheus' HTTP API the lab uses: instant queries, scrape targets, readiness. */

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface QueryResult {
  resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  /** Vector results as samples; a scalar as one sample with no labels. */
  samples: Sample[];
}

export interface ScrapeTarget {
  job: string;
  instance: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
  labels: Record<string, string>;
}

export interface LoadedRule {
  group: string;
  name: string;
  type: 'recording' | 'alerting';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  /** Alerting rules: inactive, pending or firing. */
  state?: string;
}

/** An alert as /api/v1/alerts gives it: pending or firing, with its labels and rendered annotations. */
export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export class PrometheusQueryError extends Error {
  readonly expr: string;
  constructor(expr: string, message: string) {
    super(`${expr}: ${message}`);
    this.expr = expr;
  }
}

interface ApiReply<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

export class PrometheusApi {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  private async get<T>(path: string, what: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`);
    const text = await res.text();
    let reply: ApiReply<T>;
    try {
      reply = JSON.parse(text) as ApiReply<T>;
    } catch {
      throw new PrometheusQueryError(what, `HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
    }
    if (reply.status !== 'success' || reply.data === undefined)
      throw new PrometheusQueryError(
        what,
        `${reply.errorType ?? `HTTP ${res.status}`}: ${reply.error ?? text}`,
      );
    return reply.data;
  }

  /** An instant query evaluated now; a query Prometheus rejects throws with its error. */
  async query(expr: string): Promise<QueryResult> {
    const data = await this.get<{ resultType: QueryResult['resultType']; result: unknown }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
      expr,
    );
    if (data.resultType === 'vector') return { resultType: 'vector', samples: data.result as Sample[] };
    if (data.resultType === 'scalar')
      return { resultType: 'scalar', samples: [{ metric: {}, value: data.result as [number, string] }] };
    throw new PrometheusQueryError(expr, `unexpected ${data.resultType} result for an instant query`);
  }

  async targets(): Promise<ScrapeTarget[]> {
    const data = await this.get<{ activeTargets: (ScrapeTarget & { scrapePool: string })[] }>(
      '/api/v1/targets?state=active',
      'targets',
    );
    return data.activeTargets.map((t) => ({
      job: t.labels.job ?? t.scrapePool,
      instance: t.labels.instance ?? '',
      health: t.health,
      lastError: t.lastError,
      lastScrape: t.lastScrape,
      labels: t.labels,
    }));
  }

  /** Loaded recording and alerting rules, with their last evaluation's health. */
  async rules(): Promise<LoadedRule[]> {
    const data = await this.get<{ groups: { name: string; rules: Omit<LoadedRule, 'group'>[] }[] }>(
      '/api/v1/rules',
      'rules',
    );
    return data.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
  }

  /** Alerts pending or firing now. */
  async alerts(): Promise<ActiveAlert[]> {
    return (await this.get<{ alerts: ActiveAlert[] }>('/api/v1/alerts', 'alerts')).alerts;
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/-/ready`)).ok;
    } catch {
      return false;
    }
  }

  /**
   * Waits until every active target has been scraped successfully at least `scrapes` times after
   * this call (measured by its lastScrape time advancing). Throws with each target's last error
   * when that does not happen before `timeoutMs`.
   */
  async waitForScrapes(scrapes = 1, timeoutMs = 60_000): Promise<ScrapeTarget[]> {
    const since = Date.now();
    const seen = new Map<string, Set<string>>();
    let last: ScrapeTarget[] = [];
    for (;;) {
      last = await this.targets();
      for (const t of last) {
        const key = `${t.job}/${t.instance}`;
        if (t.health === 'up' && Date.parse(t.lastScrape) >= since) {
          const times = seen.get(key) ?? new Set<string>();
          times.add(t.lastScrape);
          seen.set(key, times);
        }
      }
      const done =
        last.length > 0 && last.every((t) => (seen.get(`${t.job}/${t.instance}`)?.size ?? 0) >= scrapes);
      if (done) return last;
      if (Date.now() - since > timeoutMs) {
        const detail = last
          .map((t) => `  ${t.job} ${t.instance}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`)
          .join('\n');
        throw new Error(`Prometheus at ${this.url}: targets not scraped ${scrapes}× in time:\n${detail}`);
      }
      await sleep(250);
    }
  }
}
