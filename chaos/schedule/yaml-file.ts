/**
 * A YAML file validated against a zod schema, every problem as `file:line:col: field: reason` (the
 * line of the field itself, or of its parent when the field is missing). Incident and rollout files
 * both read through here.
 */
import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';

/** A file that did not validate: each problem as `file:line:col: field: reason`. */
export class YamlFileError extends Error {
  readonly problems: string[];
  constructor(what: string, source: string, problems: string[]) {
    super(`invalid ${what} file ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * `parse(text, source)` and `load(file)` for one kind of file: validated by `schema`, the source
 * kept beside the data, every problem thrown as `error(source, problems)`.
 */
export function yamlFileKind<S extends z.ZodType>(
  schema: S,
  error: (source: string, problems: string[]) => Error,
): {
  parse: (text: string, source?: string) => z.output<S> & { source: string };
  load: (file: string) => Promise<z.output<S> & { source: string }>;
} {
  const parse = (text: string, source = '<inline>') => {
    const data = parseYamlFile(schema, text, source, (problems) => error(source, problems));
    return { ...(data as object), source } as z.output<S> & { source: string };
  };
  const load = async (file: string) => parse(await readYamlText(file, (p) => error(file, p)), file);
  return { parse, load };
}

/** Parses `text` and validates it; `fail(problems)` makes the error thrown when anything is wrong. */
export function parseYamlFile<S extends z.ZodType>(
  schema: S,
  text: string,
  source: string,
  fail: (problems: string[]) => Error,
): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw fail(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `${source}:${pos.line}:${pos.col}: YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw fail(
      parsed.error.issues.map((issue) => {
        const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        let message = issue.message;
        if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) {
          // Point at the stray key itself.
          path.push(issue.keys[0] as string);
          message = 'unknown field';
        } else if (/received undefined$/.test(message)) {
          message = `required: ${message.replace(/, received undefined$/, '').replace(/^Invalid input: /, '')}`;
        }
        const { line, col } = position(doc, lines, path);
        return `${source}:${line}:${col}: ${fieldName(path)}: ${message}`;
      }),
    );
  }
  return parsed.data;
}

/** The file's text, or the error `fail` makes naming why it cannot be read. */
export async function readYamlText(file: string, fail: (problems: string[]) => Error): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fail([`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`]);
  }
}

/** The deepest node that exists on the path (a missing field points at its parent). */
function position(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: (string | number)[],
): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      // For a map key's value, point at the key when there is one.
      const keyNode = n > 0 ? findKeyNode(doc, path.slice(0, n)) : undefined;
      const offset = keyNode?.range?.[0] ?? node.range[0];
      return lines.linePos(offset);
    }
  }
  return { line: 1, col: 1 };
}

function findKeyNode(doc: ReturnType<typeof parseDocument>, path: (string | number)[]) {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (!parent || typeof parent !== 'object' || !('items' in parent) || typeof last !== 'string')
    return undefined;
  for (const item of (parent as { items: unknown[] }).items) {
    const key = (item as { key?: unknown }).key;
    if (isNode(key) && (key as { value?: unknown }).value === last) return key;
  }
  return undefined;
}

function fieldName(path: (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
