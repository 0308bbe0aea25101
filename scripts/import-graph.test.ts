/**
 * The repository keeps its import rules: layers only downward, rooms entered through index.ts, no
 * cycles. The rules themselves are shown catching each kind of breach on a tree made for it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkImports, importsOf } from './import-graph.ts';

describe('the repository', () => {
  it('has no upward import, no room entered around its index.ts, no cycle', () => {
    const { files, breaches } = checkImports(resolve(import.meta.dirname, '..'));
    expect(files).toBeGreaterThan(100);
    expect(breaches.map((b) => `${b.rule}: ${b.from} → ${b.to} (${b.detail})`)).toEqual([]);
  });
});

describe('the rules', () => {
  const root = mkdtempSync(join(tmpdir(), 'import-graph-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  };

  // Fixture sources are assembled at run time, so this file's own text holds no import to check.
  const from = (spec: string) => `from '${spec}';`;

  it('finds static, re-export and dynamic imports, not other strings', () => {
    const text = [
      `import { a } ${from('./a.ts')}`,
      `export { b } ${from('../b.ts')}`,
      `const c = await import('${'./c.ts'}');`,
      `const s = 'from ./d.ts';`,
      `import type { E } ${from('./e.ts')}`,
    ].join('\n');
    expect(importsOf(text)).toEqual(['./a.ts', '../b.ts', './c.ts', './e.ts']);
  });

  it('catches an upward import, a room entered around its face, a cycle and a missing file', () => {
    write({
      'node/x/index.ts': `export { x } ${from('./x.ts')}\n`,
      'node/x/x.ts': `import { h } ${from('../../hub/y/index.ts')}\nexport const x = h;\n`,
      'hub/y/index.ts': `export { h } ${from('./h.ts')}\n`,
      'hub/y/h.ts': `import { x } ${from('../../node/x/x.ts')}\nexport const h = x;\n`,
      'hub/y/gone.ts': `import { n } ${from('./nothing.ts')}\n`,
    });
    const rules = checkImports(root).breaches.map((b) => `${b.rule} ${b.from} → ${b.to}`);
    expect(rules).toContain('layer node/x/x.ts → hub/y/index.ts');
    expect(rules).toContain('face hub/y/h.ts → node/x/x.ts');
    expect(rules).toContain('unresolved hub/y/gone.ts → hub/y/nothing.ts');
    expect(rules.some((r) => r.startsWith('cycle '))).toBe(true);
  });
});
