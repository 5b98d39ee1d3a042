#!/usr/bin/env node
// Benchmark of issue 5: CLI latency. Median wall time of `mcgrp -list --json`
// and `mccluster status --json`, each run as an operator would (a fresh
// `node bin/<entry>.js` process: Node start-up, module loading, the API call
// on the local socket, JSON out), against a running engine with 20 groups.
//
//   node bench/cli.mjs [--runs 20] [--warmup 3] [--groups 20] [--per-group 3] [--json-only]
//
// The engine (node dist/daemon/main.js --node n1, its own MCCS_HOME in a temp
// dir) runs 20 groups × 3 Process resources, each a /usr/bin/sleep with a
// duration unique to this run and resource (adoption by path and arguments
// can only find our own processes), in a chain (r2 → r1 → r0), all ONLINE and
// monitored every 5 s while the CLI is timed. Each command is run --warmup
// times (not counted: page cache, V8 code cache), then --runs times,
// alternating the two commands. Target: median ≤ 250 ms each.
//
// Clean-up (also on error or Ctrl-C): SIGKILL the engine by PID, then SIGKILL
// every process whose environment holds MCCS_HOME=<this run's temp home> (the
// Process agent sets it), then remove the temp home. Nothing is killed by name.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cleanup, makeHome, onSignalsCleanup, pidsOfHome, ROOT, rpc, startEngine, stats, waitFor, writeConfig } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    groups: { type: 'string', default: '20' },
    'per-group': { type: 'string', default: '3' },
    'json-only': { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Math.min(1000, Number(opts.runs) || 20));
const WARMUP = Math.max(0, Math.min(100, Number(opts.warmup) || 0));
const GROUPS = Math.max(1, Math.min(100, Number(opts.groups) || 20));
const PER_GROUP = Math.max(1, Math.min(50, Number(opts['per-group']) || 3));
const TOTAL = GROUPS * PER_GROUP;
const TARGET_MS = 250;
const SLEEP = '/usr/bin/sleep';
const log = (s) => {
  if (!opts['json-only']) process.stdout.write(`${s}\n`);
};

const COMMANDS = [
  { name: 'mcgrp -list --json', bin: 'mcgrp', args: ['-list', '--json'] },
  { name: 'mccluster status --json', bin: 'mccluster', args: ['status', '--json'] },
];

function config(runTag) {
  const groups = [];
  for (let g = 0; g < GROUPS; g++) {
    const resources = [];
    const dependencies = [];
    for (let r = 0; r < PER_GROUP; r++) {
      const i = g * PER_GROUP + r;
      resources.push({ ResName: `g${g}r${r}`, Type: 'Process', Path: SLEEP, Arguments: [`1000000.${runTag}${String(i).padStart(4, '0')}`], ...(r === PER_GROUP - 1 ? { Critical: true } : {}) });
      if (r > 0) dependencies.push({ Parent: `g${g}r${r}`, Child: `g${g}r${r - 1}` });
    }
    groups.push({ GroupName: `g${g}`, GroupType: 'FAILOVER', NodeList: ['n1'], Resources: resources, Dependencies: dependencies });
  }
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'bench-cli' },
    Nodes: [{ NodeName: 'n1', StandAlone: true }],
    Types: { Process: { MonitorInterval: 5, OfflineMonitorInterval: 5 } },
    Groups: groups,
  };
}

/** One CLI run: wall time from spawn to exit, its exit code and stdout. */
function timeOnce(home, cmd) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MCCS_HOME: home, MCCS_CREDENTIALS: join(home, 'no-credentials.json') };
    for (const k of ['MCCS_USER', 'MCCS_PASSWORD', 'MCCS_SOCKET']) delete env[k];
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin', `${cmd.bin}.js`), ...cmd.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const text = Buffer.concat(out).toString('utf8');
      if (code !== 0) return reject(new Error(`${cmd.name}: exit ${code}: ${text}${err}`));
      let env;
      try {
        env = JSON.parse(text);
      } catch {
        return reject(new Error(`${cmd.name}: not JSON: ${text.slice(0, 200)}`));
      }
      if (env.ok !== true) return reject(new Error(`${cmd.name}: ${JSON.stringify(env.error)}`));
      resolve({ ms, bytes: text.length, env });
    });
  });
}

async function main() {
  const home = makeHome('mccs-bench-cli-');
  let engine;
  onSignalsCleanup(() => cleanup(home, engine));
  try {
    const runTag = String(process.pid % 100000).padStart(5, '0') + String(Math.floor(Math.random() * 1000)).padStart(3, '0');
    writeConfig(home, config(runTag));
    engine = await startEngine(home, 'n1');
    log(`engine pid ${engine.pid}, MCCS_HOME ${home}: ${GROUPS} groups × ${PER_GROUP} Process resources (${SLEEP}, chained), MonitorInterval 5 s`);
    await waitFor(
      `all ${TOTAL} resources ONLINE`,
      async () => {
        const r = await rpc(home, 'res.state', {}, 5000);
        if (!r.ok) throw new Error(r.error?.message);
        const faulted = r.result.filter((x) => x.state === 'FAULTED');
        if (faulted.length) throw new Error(`FAULTED: ${faulted.map((x) => x.ResName).join(', ')}`);
        return r.result.filter((x) => x.state === 'ONLINE').length === TOTAL;
      },
      120_000,
      250,
    );
    const managed = pidsOfHome(home).filter((p) => p !== engine.pid).length;
    if (managed !== TOTAL) throw new Error(`expected ${TOTAL} managed processes, found ${managed}`);
    log(`all ${TOTAL} ONLINE (${managed} managed processes); ${WARMUP} warm-up runs, then ${RUNS} timed runs of each command`);

    const sizes = {};
    for (let i = 0; i < WARMUP; i++) for (const cmd of COMMANDS) await timeOnce(home, cmd);
    const times = Object.fromEntries(COMMANDS.map((c) => [c.name, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const cmd of COMMANDS) {
        const r = await timeOnce(home, cmd);
        times[cmd.name].push(r.ms);
        sizes[cmd.name] = r.bytes;
        if (i === 0 && cmd.bin === 'mcgrp' && r.env.result.length !== GROUPS) throw new Error(`mcgrp -list listed ${r.env.result.length} groups`);
      }
    }
    // A bare `node -e ''` for scale: the part of the figure that is Node's own start-up.
    const bare = [];
    for (let i = 0; i < Math.min(RUNS, 10); i++) {
      const t0 = performance.now();
      await new Promise((res, rej) => spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('close', res).on('error', rej));
      bare.push(performance.now() - t0);
    }

    const results = COMMANDS.map((c) => ({ command: c.name, ...stats(times[c.name]), outputBytes: sizes[c.name] }));
    const bareStats = stats(bare);
    const f = (v) => `${v.toFixed(1)} ms`.padStart(9);
    log('');
    log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`);
    log(`${'command'.padEnd(26)} ${'median'.padStart(9)} ${'p90'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}  output`);
    for (const r of results) log(`${r.command.padEnd(26)} ${f(r.median)} ${f(r.p90)} ${f(r.min)} ${f(r.max)}  ${(r.outputBytes / 1024).toFixed(1)} KiB`);
    log(`${'node -e "" (for scale)'.padEnd(26)} ${f(bareStats.median)} ${f(bareStats.p90)} ${f(bareStats.min)} ${f(bareStats.max)}`);
    const pass = results.every((r) => r.median <= TARGET_MS);
    log(`target: median ≤ ${TARGET_MS} ms each → ${pass ? 'PASS' : 'FAIL'}`);
    const r1 = (v) => Math.round(v * 10) / 10;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'cli',
        groups: GROUPS,
        resources: TOTAL,
        runs: RUNS,
        warmup: WARMUP,
        results: results.map((r) => ({ command: r.command, medianMs: r1(r.median), p90Ms: r1(r.p90), minMs: r1(r.min), maxMs: r1(r.max), outputBytes: r.outputBytes })),
        nodeStartMedianMs: r1(bareStats.median),
        loadavg1: r1(loadavg()[0]),
        targetMs: TARGET_MS,
        pass,
      })}\n`,
    );
    process.exitCode = pass ? 0 : 1;
  } finally {
    await cleanup(home, engine);
  }
}

main().catch((e) => {
  process.stderr.write(`cli bench: ${e.stack ?? e.message}\n`);
  process.exitCode = 2;
});
