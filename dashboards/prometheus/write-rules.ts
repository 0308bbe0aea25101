/** Writes prometheus/rules.yml from the thresholds: `node dashboards/prometheus/write-rules.ts`. */
import { writeFile } from 'node:fs/promises';
import { RULES_FILE } from '../dashboard-files.ts';
import { renderRules } from './rules.ts';

await writeFile(RULES_FILE, renderRules());
console.log(`wrote ${RULES_FILE}`);
