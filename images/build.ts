#!/usr/bin/env node
// Builds the lab's images offline: node images/build.ts [--force] [base|node|hub|prometheus|all]...
import { ensureImages, IMAGE_NAMES, type ImageName, isImageName, type ProgressEvent } from './index.ts';

function usage(): never {
  console.error(`usage: node images/build.ts [--force] [${IMAGE_NAMES.join('|')}|all]...`);
  process.exit(2);
}

const args = process.argv.slice(2);
let force = false;
const names: ImageName[] = [];
for (const a of args) {
  if (a === '--force') force = true;
  else if (a === '-h' || a === '--help') usage();
  else if (a === 'all') names.push(...IMAGE_NAMES);
  else if (isImageName(a)) names.push(a);
  else usage();
}
if (names.length === 0) names.push(...IMAGE_NAMES);

const started = Date.now();
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
const onProgress = (e: ProgressEvent) => console.log(`${clock()} [${e.image}] ${e.message}`);

try {
  const tags = await ensureImages([...new Set(names)], { onProgress, force });
  for (const [name, tag] of Object.entries(tags)) console.log(`${name}\t${tag}`);
  console.log(`images: done in ${clock().trim()}`);
} catch (err) {
  console.error(`images: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
