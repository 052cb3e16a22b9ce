#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs one benchmark script from this folder. Benchmarks print
// figures beside a baseline measured in the same run; they never pass or fail on timing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const [name, ...rest] = process.argv.slice(2);
const available = ['transfer', 'blob-store', 'links', 'fleet', 'payments', 'browser'];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(2);
}
const script = join(import.meta.dirname, `${name}.mjs`);
if (!existsSync(script)) {
  console.error(`bench: ${script} is missing`);
  process.exit(2);
}
const result = spawnSync(process.execPath, [script, ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
