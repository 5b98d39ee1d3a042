#!/usr/bin/env node
// Launcher of the soak run (bench/soak.run.ts, issue 8): two nodes in the
// lab, random faults for N minutes, invariants checked all along, figures at
// the end. Not part of CI. Root only (namespaces).
//
//   node bench/soak.mjs [--minutes N] [--seed S]      (default 10 minutes)
//
// The run is a vitest file (it reuses the lab helpers of the tests as they
// are, TypeScript included) with its own config, so `npm test` never runs it.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, seed: { type: 'string' } } });
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
  console.error('bench/soak: --minutes must be a number of minutes between 0 and 1440');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('bench/soak: needs root (network, PID and mount namespaces)');
  process.exit(2);
}
const ROOT = resolve(import.meta.dirname, '..');
const r = spawnSync(join(ROOT, 'node_modules/.bin/vitest'), ['run', '--config', join(ROOT, 'bench/vitest.soak.config.ts')], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, MCCS_SOAK_MINUTES: String(minutes), ...(values.seed ? { MCCS_SOAK_SEED: values.seed } : {}) },
});
process.exit(r.status ?? 1);
