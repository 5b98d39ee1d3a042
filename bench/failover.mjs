#!/usr/bin/env node
// Launcher of the failover benchmark (bench/failover.ts, issue 3): compiles
// it with the lab library (test/lab/*.ts) into bench/dist (Node 20 runs no
// .ts), copies the lab's plain helpers beside the compiled lab, and runs it.
//
//   npm run bench:failover -- [--rounds N] [--only mccs|keepalived|witness] [--json-only] [--verbose]
//
// Root only. Needs the engine built (npm run build: dist/daemon/main.js),
// tini, arping, keepalived and etcd-server installed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const tsc = join(ROOT, 'node_modules/.bin/tsc');
const built = spawnSync(tsc, ['-p', join(ROOT, 'bench/tsconfig.json')], { stdio: 'inherit' });
if (built.status !== 0) {
  console.error('bench/failover: compiling bench/failover.ts failed');
  process.exit(2);
}
// lab.ts finds client-probe.mjs and link-relay.pl next to itself.
const labOut = join(ROOT, 'bench/dist/test/lab');
mkdirSync(labOut, { recursive: true });
for (const f of readdirSync(join(ROOT, 'test/lab'))) {
  if (/\.(mjs|pl)$/.test(f)) copyFileSync(join(ROOT, 'test/lab', f), join(labOut, f));
}
await import(join(ROOT, 'bench/dist/bench/failover.js'));
