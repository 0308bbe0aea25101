/**
 * The report's HTML: one self-contained file. The model goes in as JSON, uPlot's code and CSS are
 * inlined (nothing is fetched when the file is opened), and a small script draws each panel. Every
 * panel carries `data-panel`, `data-state` (ok | missing) and, once drawn, `data-points`: the number
 * of data points the chart was given — what the browser test reads.
 */
import { type CheckerView, isMissing, type ReportModel } from './model.ts';

export interface ChartLibrary {
  js: string;
  css: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that may sit inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f4f6f9; }
header { padding: 14px 24px; background: #1d2430; color: #fff; }
header h1 { font-size: 20px; margin: 0 0 4px; }
header .meta { color: #c5cdd8; font-size: 13px; }
.status { display: inline-block; padding: 2px 10px; border-radius: 10px; font-weight: 600; margin-left: 8px; }
.status.pass, .v-true { background: #1f9d55; color: #fff; }
.status.fail, .v-false { background: #d64545; color: #fff; }
.status.aborted, .v-unknown, .status.no.verdict { background: #d69e2e; color: #fff; }
main { padding: 12px 24px 40px; display: grid; grid-template-columns: 1fr; gap: 14px; max-width: 1280px; }
section.panel { background: #fff; border: 1px solid #d9dee6; border-radius: 6px; padding: 10px 14px; }
section.panel h2 { font-size: 15px; margin: 0 0 6px; }
.note { color: #5b6575; font-size: 12px; margin: 4px 0 0; }
.missing { color: #9a5b00; background: #fff8e6; border: 1px dashed #e0b050; padding: 8px; border-radius: 4px; }
table { border-collapse: collapse; font-size: 12.5px; margin-top: 6px; }
td, th { border-bottom: 1px solid #e6e9ee; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f5; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; max-height: 220px; overflow: auto; font-size: 12px; }
.pill { padding: 1px 8px; border-radius: 8px; font-weight: 600; font-size: 12px; }
details summary { cursor: pointer; color: #3a5a8c; font-size: 12.5px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
`;

/** Runs in the page: draws every panel from the embedded model with uPlot. */
const CLIENT = `
(function () {
  const model = JSON.parse(document.getElementById('report-model').textContent);
  const COLORS = ['#2f6fdf', '#e0742b', '#1f9d55', '#9b51e0', '#d64545', '#0e9aa7', '#b7950b', '#6b7280'];
  const KIND = { fault: '#d64545', 'node-fault': '#a61b1b', heal: '#1f9d55', restart: '#0e9aa7', rollout: '#9b51e0',
    workload: '#8fb3ef', check: '#1d2430', error: '#ff00aa', leader: '#1f9d55', candidate: '#e0b050',
    stuck: '#d64545', linearized: '#1f9d55', other: '#8a94a6' };
  const windows = model.faultWindows || [];
  const width = (el) => Math.max(400, el.clientWidth - 4);
  const count = (data) => data.slice(1).reduce((n, s) => n + s.filter((v) => v != null).length, 0);

  function shade(u) {
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = 'rgba(214, 69, 69, 0.12)';
    for (const w of windows) {
      const a = u.valToPos(w.start, 'x', true);
      const b = u.valToPos(w.end, 'x', true);
      const l = Math.max(u.bbox.left, a);
      const r = Math.min(u.bbox.left + u.bbox.width, b);
      if (r > l) ctx.fillRect(l, u.bbox.top, r - l, u.bbox.height);
    }
    ctx.restore();
  }

  function mount(name, opts, data) {
    const panel = document.querySelector('[data-panel="' + name + '"]');
    const box = panel.querySelector('.chart');
    const u = new uPlot(Object.assign({ width: width(box) }, opts), data, box);
    panel.dataset.points = String(count(u.data));
    window.__charts[name] = u;
    return u;
  }

  const xAxis = { label: 'seconds since the run started' };

  function seriesChart(name, p, shaded) {
    const data = [p.x].concat(p.series.map((s) => s.values));
    mount(name, {
      height: 240,
      scales: { x: { time: false } },
      axes: [xAxis, { label: p.unit }],
      series: [{ label: 't', value: (u, v) => (v == null ? '' : v.toFixed(2) + ' s') }].concat(
        p.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: /p99|fail/.test(s.label) ? 1 : 2,
          dash: /p99|fail/.test(s.label) ? [5, 3] : undefined,
          spanGaps: false,
          paths: s.step ? uPlot.paths.stepped({ align: 1 }) : undefined,
          points: { show: false },
        })),
      ),
      hooks: shaded ? { drawAxes: [shade] } : {},
    }, data);
  }

  // Lanes: a bar is a series that holds its lane's row from start to end (null elsewhere); marks
  // are point-only series, one per lane and kind.
  function laneChart(name, p, opts) {
    const n = p.lanes.length;
    const row = (lane) => n - 1 - p.lanes.indexOf(lane);
    const end = model.duration;
    const bars = p.items.filter((i) => i.end != null && i.end > i.start);
    const marks = p.items.filter((i) => !(i.end != null && i.end > i.start));
    const xs = new Set([0, end]);
    for (const i of p.items) { xs.add(i.start); if (i.end != null) xs.add(i.end); }
    const x = [...xs].sort((a, b) => a - b);
    const series = [{ label: 't' }];
    const data = [x];
    for (const b of bars) {
      series.push({ label: b.label, stroke: KIND[b.kind] || '#555', width: opts.barWidth || 12, spanGaps: false,
        dash: b.open ? [8, 5] : undefined, points: { show: false } });
      data.push(x.map((t) => (t >= b.start && t <= b.end ? row(b.lane) : null)));
    }
    const groups = new Map();
    for (const m of marks) {
      const k = m.lane + '|' + m.kind;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(m);
    }
    for (const [k, ms] of groups) {
      const kind = k.split('|')[1];
      series.push({ label: kind, stroke: KIND[kind] || '#555', paths: () => null,
        points: { show: true, space: 0, size: 11, width: 2, fill: '#fff' } });
      data.push(x.map((t) => (ms.some((m) => m.start === t) ? row(ms[0].lane) : null)));
    }
    mount(name, {
      height: 50 + n * 34,
      legend: { show: false },
      scales: { x: { time: false, range: opts.range || [0, end] }, y: { range: [-0.6, n - 0.4] } },
      axes: [xAxis, { splits: () => p.lanes.map((_, i) => i), values: (u, splits) => splits.map((v) => p.lanes[n - 1 - v] || ''), size: 90 }],
      series,
      hooks: opts.shaded ? { drawAxes: [shade] } : {},
    }, data);
  }

  function histogram(name, p) {
    const x = p.bounds.map((_, i) => i);
    const data = [x].concat(p.series.map((s) => s.values));
    const k = p.series.length;
    mount(name, {
      height: 240,
      scales: { x: { time: false, range: [-0.6, x.length - 0.4] } },
      axes: [
        { label: 'round trip, bucket upper bound (ms)', splits: () => x, values: (u, sp) => sp.map((i) => (p.bounds[i] == null ? '+Inf' : '≤' + p.bounds[i])) },
        { label: 'messages' },
      ],
      series: [{ label: 'bucket', value: (u, i) => (i == null ? '' : p.bounds[i] == null ? '+Inf' : '≤ ' + p.bounds[i] + ' ms') }].concat(
        p.series.map((s, i) => ({
          label: s.label, stroke: COLORS[i % COLORS.length], fill: COLORS[i % COLORS.length] + '99',
          paths: uPlot.paths.bars({ size: [0.8 / k, 60], align: k === 1 ? 0 : i === 0 ? -1 : 1 }),
          points: { show: false },
        })),
      ),
    }, data);
  }

  function opBars(name, p) {
    const rows = p.processes;
    const lanes = rows.map((r) => 'client ' + r);
    const items = p.ops.map((o) => ({ lane: 'client ' + o.process, start: o.call, end: o.ret == null ? p.window.end : o.ret,
      label: o.label, kind: o.state, open: o.ret == null }));
    const pad = Math.max(0.01, (p.window.end - p.window.start) * 0.05);
    laneChart(name, { lanes, items }, { barWidth: 9, range: [p.window.start - pad, p.window.end + pad] });
  }

  window.__charts = {};
  const draw = {
    timeline: (p) => laneChart('timeline', p, { shaded: true }),
    latency: (p) => seriesChart('latency', p, true),
    throughput: (p) => seriesChart('throughput', p, true),
    term: (p) => seriesChart('term', p, true),
    leaders: (p) => laneChart('leaders', p, { shaded: true }),
    raftMessages: (p) => histogram('raftMessages', p),
    linearizability: (p) => opBars('linearizability', p),
    loadThroughput: (p) => seriesChart('loadThroughput', p, false),
    loadLatency: (p) => seriesChart('loadLatency', p, false),
  };
  for (const [name, fn] of Object.entries(draw)) {
    const p = model[name];
    if (!p || p.missing) continue;
    try {
      fn(p);
    } catch (err) {
      console.error('panel ' + name + ': ' + (err && err.stack ? err.stack : err));
    }
  }
  document.body.dataset.drawn = 'true';
})();
`;

function panel(name: string, title: string, p: unknown, body: string, note?: string): string {
  if (isMissing(p))
    return `<section class="panel" data-panel="${name}" data-state="missing" data-points="0"><h2>${escapeHtml(title)}</h2><div class="missing">Not recorded: ${escapeHtml(p.missing)}</div></section>`;
  return `<section class="panel" data-panel="${name}" data-state="ok"><h2>${escapeHtml(title)}</h2><div class="chart"></div>${body}${
    note ? `<p class="note">${escapeHtml(note)}</p>` : ''
  }</section>`;
}

function validText(v: CheckerView['valid']): string {
  return v === true ? 'valid' : v === false ? 'INVALID' : 'unknown';
}

function evidenceHtml(e: unknown): string {
  if (e === undefined || e === null) return '';
  const text = typeof e === 'string' ? e : JSON.stringify(e, null, 2);
  const short = text.length > 20_000 ? `${text.slice(0, 20_000)}\n… (${text.length} characters)` : text;
  return `<details><summary>evidence</summary><pre>${escapeHtml(short)}</pre></details>`;
}

/** Long text (a failed check's longest order lists every op) cut short, the whole of it one click away. */
function clipped(text: string, max = 400): string {
  if (text.length <= max) return escapeHtml(text);
  return `${escapeHtml(text.slice(0, max))}…<details><summary>all ${text.length} characters</summary><pre>${escapeHtml(text)}</pre></details>`;
}

function verdictPanel(m: ReportModel): string {
  const decision = m.raftDecision ? `<p data-raft-decision>${escapeHtml(m.raftDecision)}</p>` : '';
  const head = `<p>Run <b>${escapeHtml(m.status)}</b>${m.reason ? `: ${clipped(m.reason, 200)}` : ''}</p>${decision}`;
  if (isMissing(m.checkers))
    return `<section class="panel" data-panel="verdict" data-state="missing" data-verdict="${escapeHtml(m.status)}" data-checkers="0"><h2>Verdict</h2>${head}<div class="missing">Not recorded: ${escapeHtml(m.checkers.missing)}</div></section>`;
  const rows = m.checkers
    .map(
      (c) =>
        `<tr data-checker="${escapeHtml(c.name)}" data-valid="${String(c.valid)}"${c.advisory ? ' data-advisory="true"' : ''}><td>${escapeHtml(c.name)}${c.advisory ? ' <i title="outside the incident\'s checks: shown, does not decide the verdict">(advisory)</i>' : ''}</td><td><span class="pill v-${String(c.valid)}">${validText(c.valid)}</span></td><td>${clipped(c.explanation)}${evidenceHtml(c.evidence)}</td></tr>`,
    )
    .join('');
  return `<section class="panel" data-panel="verdict" data-state="ok" data-verdict="${escapeHtml(m.status)}" data-checkers="${m.checkers.length}"><h2>Verdict</h2>${head}<table><tr><th>checker</th><th>verdict</th><th>explanation and evidence</th></tr>${rows}</table></section>`;
}

function laneTable(p: ReportModel['timeline']): string {
  if (isMissing(p)) return '';
  const rows = [...p.items]
    .sort((a, b) => a.start - b.start)
    .map(
      (i) =>
        `<tr><td>${i.start.toFixed(2)}${i.end !== undefined ? ` – ${i.end.toFixed(2)}` : ''}</td><td>${escapeHtml(i.lane)}</td><td>${escapeHtml(i.label)}</td></tr>`,
    )
    .join('');
  return `<details><summary>${p.items.length} entries</summary><table><tr><th>s</th><th>lane</th><th>what</th></tr>${rows}</table></details>`;
}

const LEGEND = (kinds: [string, string][]) =>
  `<p class="note">${kinds.map(([c, l]) => `<span class="swatch" style="background:${c}"></span>${escapeHtml(l)}`).join(' &nbsp; ')}</p>`;

export function renderReport(m: ReportModel, lib: ChartLibrary): string {
  const raft = isMissing(m.raftMessages)
    ? ''
    : `<table><tr><th>transport</th><th>messages</th><th>p50 ms</th><th>p99 ms</th><th>mean ms</th></tr>${m.raftMessages.quantiles
        .map(
          (q) =>
            `<tr><td>${escapeHtml(q.transport)}</td><td>${q.count}</td><td>${q.p50 ?? '–'}</td><td>${q.p99 ?? '–'}</td><td>${q.meanMs}</td></tr>`,
        )
        .join('')}</table>`;
  const lin =
    m.linearizability === undefined
      ? ''
      : panel(
          'linearizability',
          'Linearizability: the ops no order can place',
          m.linearizability,
          isMissing(m.linearizability)
            ? ''
            : `${LEGEND([
                ['#d64545', 'the op no order can place'],
                ['#1f9d55', 'in the longest valid order'],
                ['#8a94a6', 'other ops; dashed: outcome unknown, open to the window end'],
              ])}<details><summary>${m.linearizability.ops.length} ops</summary><table><tr><th>op</th><th>state</th></tr>${m.linearizability.ops
                .map((o) => `<tr><td>${escapeHtml(o.label)}</td><td>${o.state}</td></tr>`)
                .join('')}</table></details>`,
          isMissing(m.linearizability) ? undefined : m.linearizability.source,
        );
  const faults = m.faultWindows
    .map((w) => `${w.label} ${w.start.toFixed(1)}–${w.end.toFixed(1)} s`)
    .join('; ');
  const shadedNote = `Shaded: fault windows (${faults || 'none'}).`;
  const noteOf = (p: unknown) => (isMissing(p) ? undefined : (p as { note: string }).note);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(m.title)} · ${escapeHtml(m.id)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${lib.css}</style><style>${STYLE}</style>
</head><body data-run="${escapeHtml(m.id)}" data-status="${escapeHtml(m.status)}">
<header><h1>${escapeHtml(m.title)} <span class="status ${escapeHtml(m.status)}">${escapeHtml(m.status)}</span></h1>
<div class="meta">${escapeHtml(m.id)}${m.seed !== undefined ? ` · seed ${m.seed}` : ''}${m.startedAt ? ` · started ${escapeHtml(m.startedAt)}` : ''} · ${m.duration.toFixed(1)} s recorded</div></header>
<main>
${verdictPanel(m)}
${lin}
${panel(
  'timeline',
  'Timeline: faults, node events, rollout steps',
  m.timeline,
  `${LEGEND([
    ['#d64545', 'link fault'],
    ['#a61b1b', 'node fault'],
    ['#1f9d55', 'heal'],
    ['#0e9aa7', 'restart'],
    ['#9b51e0', 'rollout'],
    ['#8fb3ef', 'workload'],
    ['#1f9d55', 'became leader (ring)'],
  ])}${laneTable(m.timeline)}`,
)}
${panel('latency', 'Client latency per transport (p50 solid, p99 dashed)', m.latency, '', `${noteOf(m.latency) ?? ''}. ${shadedNote}`)}
${panel('throughput', 'Throughput per transport', m.throughput, '', `${noteOf(m.throughput) ?? ''}. ${shadedNote}`)}
${panel('term', 'Raft term per node', m.term, '', noteOf(m.term))}
${panel('leaders', 'Leader (green) and candidates (amber) per node', m.leaders, '', noteOf(m.term))}
${panel('raftMessages', 'Raft message latency per transport', m.raftMessages, raft, noteOf(m.raftMessages))}
${m.loadThroughput ? panel('loadThroughput', 'lab load: answers and failures per second per transport', m.loadThroughput, '', noteOf(m.loadThroughput)) : ''}
${m.loadLatency ? panel('loadLatency', 'lab load: latency per transport (p50 solid, p99 dashed)', m.loadLatency, '', noteOf(m.loadLatency)) : ''}
</main>
<script type="application/json" id="report-model">${scriptJson(m)}</script>
<script>${lib.js}</script>
<script>${CLIENT}</script>
</body></html>
`;
}

export interface IndexEntry {
  id: string;
  title: string;
  status: string;
  seed?: number | undefined;
  startedAt?: string | undefined;
  reason?: string | undefined;
  /** Relative link to the run's report, when it has one. */
  report?: string | undefined;
}

/** runs/index.html: every run, newest first, with its verdict and a link to its report. */
export function renderIndex(entries: readonly IndexEntry[]): string {
  const rows = [...entries]
    .sort((a, b) => (b.startedAt ?? b.id).localeCompare(a.startedAt ?? a.id))
    .map(
      (e) =>
        `<tr data-run="${escapeHtml(e.id)}" data-status="${escapeHtml(e.status)}"><td>${e.report ? `<a href="${escapeHtml(e.report)}">${escapeHtml(e.id)}</a>` : escapeHtml(e.id)}</td><td>${escapeHtml(e.title)}</td><td><span class="status ${escapeHtml(e.status)}">${escapeHtml(e.status)}</span></td><td>${e.seed ?? ''}</td><td>${escapeHtml(e.startedAt ?? '')}</td><td>${escapeHtml(e.reason ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Blixard lab runs</title><style>${STYLE}</style></head>
<body><header><h1>Blixard lab runs</h1><div class="meta">${entries.length} runs</div></header>
<main><section class="panel"><table><tr><th>run</th><th>incident</th><th>verdict</th><th>seed</th><th>started</th><th>reason</th></tr>
${rows}
</table></section></main></body></html>
`;
}
