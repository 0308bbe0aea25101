/**
 * Opens a report in headless Chromium (Debian's package, driven by playwright-core) and lists what is
 * wrong with it as a person would see it: console errors, a panel with no data points, a missing
 * verdict. Used by the browser test; playwright-core is a devDependency.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

/** The system Chromium: CHROMIUM_PATH, else Debian's /usr/bin/chromium (scripts/setup-chromium.sh). */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
  if (!found)
    throw new Error(
      'no Chromium found (CHROMIUM_PATH, /usr/bin/chromium): run `make setup` (scripts/setup-chromium.sh)',
    );
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in a container: Chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

export interface PanelSeen {
  name: string;
  state: string;
  points: number;
  text: string;
}

export interface PageCheck {
  problems: string[];
  panels: PanelSeen[];
  verdict: string | undefined;
  consoleErrors: string[];
}

/** Loads the file, waits until its script has drawn, then checks every panel and the verdict. */
export async function checkReport(
  browser: Browser,
  file: string,
  options: { screenshot?: string; timeoutMs?: number } = {},
): Promise<PageCheck> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  // Anything fetched from outside the file is a fault: the report must open offline.
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
  });
  const problems: string[] = [];
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const drawn = await page
      .waitForSelector('body[data-drawn="true"]', { timeout: options.timeoutMs ?? 15_000 })
      .then(() => true)
      .catch(() => false);
    if (!drawn) problems.push('the page script never finished drawing (body[data-drawn] not set)');
    const attrs = await page.$$eval('section[data-panel]', (els) =>
      els.map((el) => ({
        name: el.getAttribute('data-panel') ?? '',
        state: el.getAttribute('data-state') ?? '',
        points: Number(el.getAttribute('data-points') ?? 'NaN'),
        verdict: el.getAttribute('data-verdict') ?? undefined,
        checkers: Number(el.getAttribute('data-checkers') ?? '0'),
      })),
    );
    // What a person sees (innerText: collapsed details are left out).
    const texts = await page.locator('section[data-panel]').allInnerTexts();
    const panels: PanelSeen[] = attrs.map((a, i) => ({
      name: a.name,
      state: a.state,
      points: a.points,
      text: (texts[i] ?? '').replace(/\s+/g, ' ').trim(),
    }));
    for (const p of panels) {
      if (p.name === 'verdict') continue;
      if (p.state === 'missing') problems.push(`panel ${p.name}: no data (${p.text})`);
      else if (!(p.points > 0))
        problems.push(`panel ${p.name}: ${Number.isNaN(p.points) ? 'not drawn' : `${p.points} data points`}`);
    }
    const v = attrs.find((p) => p.name === 'verdict');
    const verdict = v?.verdict;
    if (!v) problems.push('no verdict panel');
    else if (v.state !== 'ok' || !(v.checkers > 0))
      problems.push(`verdict missing: ${panels.find((p) => p.name === 'verdict')?.text}`);
    else if (!(await page.locator('section[data-panel="verdict"] table').isVisible()))
      problems.push('the verdict table is not visible');
    for (const e of consoleErrors) problems.push(`console error: ${e}`);
    for (const r of requests) problems.push(`fetched from outside the file: ${r}`);
    if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
    return { problems, panels, verdict, consoleErrors };
  } finally {
    await page.close();
  }
}
