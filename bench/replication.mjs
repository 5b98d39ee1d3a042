#!/usr/bin/env node
// Launcher of the replication benchmark (bench/replication.ts, issue 12): compiles
// it with the lab library (test/lab/*.ts) into bench/dist (Node 20 runs no
// .ts) with bench/tsconfig.replication.json (which extends bench/tsconfig.json),
// copies the lab's plain helpers beside the compiled lab, and runs it.
//
//   npm run bench:replication -- [--rounds N] [--json-only]
//
// Root only. Needs the engine built (npm run build: dist/daemon/main.js),
// tini, arping and the Debian package postgresql-15.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const tsc = join(ROOT, 'node_modules/.bin/tsc');
const built = spawnSync(tsc, ['-p', join(ROOT, 'bench/tsconfig.replication.json')], { stdio: 'inherit' });
if (built.status !== 0) {
  console.error('bench/replication: compiling bench/replication.ts failed');
  process.exit(2);
}
// lab.ts finds client-probe.mjs and link-relay.pl next to itself.
const labOut = join(ROOT, 'bench/dist/test/lab');
mkdirSync(labOut, { recursive: true });
for (const f of readdirSync(join(ROOT, 'test/lab'))) {
  if (/\.(mjs|pl)$/.test(f)) copyFileSync(join(ROOT, 'test/lab', f), join(labOut, f));
}
await import(join(ROOT, 'bench/dist/bench/replication.js'));
