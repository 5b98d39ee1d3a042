#!/usr/bin/env node
// Benchmark (b) of issue 2: the engine's own CPU and memory with 200
// resources monitored every 5 s.
//
//   node bench/engine-load.mjs [--seconds 60] [--groups 20] [--per-group 10] [--cpu-prof DIR] [--json-only]
//
// One engine, one node (n1), 20 groups × 10 Process resources, each a
// /usr/bin/sleep with a duration unique to this run and resource (so that
// adoption by path and arguments can only find our own processes), all with
// MonitorInterval 5 s. Once every resource is ONLINE (and one monitor period
// has passed, so start-up work is over), the engine process is sampled once
// a second for --seconds: CPU = utime+stime from /proc/PID/stat (clock ticks,
// getconf CLK_TCK), memory = VmRSS from /proc/PID/status (VmHWM, the kernel's
// peak since start, is printed too). Targets: < 3 % of one core, < 120 MB.
//
// --cpu-prof DIR runs the engine under `node --cpu-prof --cpu-prof-dir DIR`
// and stops it with SIGTERM at the end so that the profile is written.
//
// Clean-up (also on error or Ctrl-C): SIGKILL the engine by PID, then SIGKILL
// every process whose environment holds MCCS_HOME=<this run's temp home> (the
// Process agent sets it), then remove the temp home.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cleanup, clockTicks, makeHome, onSignalsCleanup, pidsOfHome, procMem, procStat, rpc, sleep, startEngine, waitFor, writeConfig } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    groups: { type: 'string', default: '20' },
    'per-group': { type: 'string', default: '10' },
    'cpu-prof': { type: 'string' },
    'json-only': { type: 'boolean', default: false },
  },
});
const SECONDS = Math.max(1, Math.min(3600, Number(opts.seconds) || 60));
const GROUPS = Math.max(1, Math.min(100, Number(opts.groups) || 20));
const PER_GROUP = Math.max(1, Math.min(100, Number(opts['per-group']) || 10));
const TOTAL = GROUPS * PER_GROUP;
const MONITOR_INTERVAL_S = 5;
const TARGET_CPU_PCT = 3;
const TARGET_RSS_MB = 120;
const SLEEP = '/usr/bin/sleep';
const log = (s) => {
  if (!opts['json-only']) process.stdout.write(`${s}\n`);
};

function config(runTag) {
  const groups = [];
  for (let g = 0; g < GROUPS; g++) {
    const resources = [];
    for (let r = 0; r < PER_GROUP; r++) {
      const i = g * PER_GROUP + r;
      // GNU sleep takes a fractional duration: 10^6 s plus a fraction unique to the run and the resource.
      resources.push({ ResName: `g${g}r${r}`, Type: 'Process', Path: SLEEP, Arguments: [`1000000.${runTag}${String(i).padStart(4, '0')}`] });
    }
    groups.push({ GroupName: `g${g}`, GroupType: 'FAILOVER', NodeList: ['n1'], Resources: resources });
  }
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'bench' },
    Nodes: [{ NodeName: 'n1' }],
    Types: { Process: { MonitorInterval: MONITOR_INTERVAL_S, OfflineMonitorInterval: MONITOR_INTERVAL_S } },
    Groups: groups,
  };
}

async function onlineCount(home) {
  const r = await rpc(home, 'res.state', {}, 5000);
  if (!r.ok) throw new Error(`res.state: ${r.error?.message}`);
  const bad = r.result.filter((x) => x.state === 'FAULTED');
  if (bad.length) throw new Error(`FAULTED: ${bad.map((x) => `${x.ResName} (${x.reason})`).join(', ')}`);
  return r.result.filter((x) => x.state === 'ONLINE').length;
}

async function main() {
  const home = makeHome('mccs-bench-load-');
  let engine;
  onSignalsCleanup(() => cleanup(home, engine));
  try {
    const runTag = String(process.pid % 100000).padStart(5, '0') + String(Math.floor(Math.random() * 1000)).padStart(3, '0');
    writeConfig(home, config(runTag));
    let nodeArgs = [];
    if (opts['cpu-prof']) {
      const dir = resolve(opts['cpu-prof']);
      mkdirSync(dir, { recursive: true });
      nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir];
    }
    const t0 = performance.now();
    engine = await startEngine(home, 'n1', { nodeArgs });
    log(`engine pid ${engine.pid}, MCCS_HOME ${home}: ${GROUPS} groups × ${PER_GROUP} Process resources (${SLEEP}), MonitorInterval ${MONITOR_INTERVAL_S} s`);
    await waitFor(`all ${TOTAL} resources ONLINE`, async () => (await onlineCount(home)) === TOTAL, 180_000, 500);
    const upMs = performance.now() - t0;
    const managed = pidsOfHome(home).filter((p) => p !== engine.pid).length;
    log(`all ${TOTAL} ONLINE after ${(upMs / 1000).toFixed(1)} s (${managed} managed processes running); settling ${MONITOR_INTERVAL_S} s`);
    if (managed !== TOTAL) throw new Error(`expected ${TOTAL} managed processes, found ${managed}`);
    await sleep(MONITOR_INTERVAL_S * 1000 + 500);

    const hz = clockTicks();
    const ticks = () => {
      const s = procStat(engine.pid);
      if (!s) throw new Error(`engine ${engine.pid} is gone: ${engine.stderr}`);
      return s.utime + s.stime;
    };
    const first = { t: performance.now(), ticks: ticks() };
    let prev = first;
    let peakRssKb = procMem(engine.pid).rssKb;
    const rssSamples = [peakRssKb];
    const windowPcts = []; // per 5 s window (one monitor period)
    let win = first;
    log(`sampling ${SECONDS} s (1 sample/s, CLK_TCK ${hz})`);
    for (let s = 1; s <= SECONDS; s++) {
      await sleep(Math.max(0, first.t + s * 1000 - performance.now()));
      const now = { t: performance.now(), ticks: ticks() };
      const mem = procMem(engine.pid);
      peakRssKb = Math.max(peakRssKb, mem.rssKb);
      rssSamples.push(mem.rssKb);
      if (s % MONITOR_INTERVAL_S === 0 || s === SECONDS) {
        const pct = (((now.ticks - win.ticks) / hz) * 1000 * 100) / (now.t - win.t);
        windowPcts.push(pct);
        log(`  t=${String(s).padStart(4)} s  cpu ${pct.toFixed(2).padStart(6)} % (last ${((now.t - win.t) / 1000).toFixed(0)} s)  rss ${(mem.rssKb / 1024).toFixed(1)} MB`);
        win = now;
      }
      prev = now;
    }
    const last = prev;
    const cpuPct = (((last.ticks - first.ticks) / hz) * 1000 * 100) / (last.t - first.t);
    const mem = procMem(engine.pid);
    const stillOnline = await onlineCount(home);
    const peakRssMb = peakRssKb / 1024;
    const avgRssMb = rssSamples.reduce((a, b) => a + b, 0) / rssSamples.length / 1024;
    const pass = cpuPct < TARGET_CPU_PCT && peakRssMb < TARGET_RSS_MB && stillOnline === TOTAL;

    log('');
    log(`resources                      ${TOTAL} (${stillOnline} ONLINE at the end)`);
    log(`window                         ${((last.t - first.t) / 1000).toFixed(1)} s`);
    log(`engine CPU, average            ${cpuPct.toFixed(2)} % of one core   (target < ${TARGET_CPU_PCT} %)`);
    log(`engine CPU, worst 5 s window   ${Math.max(...windowPcts).toFixed(2)} %`);
    log(`engine RSS, peak in window     ${peakRssMb.toFixed(1)} MB   (target < ${TARGET_RSS_MB} MB)`);
    log(`engine RSS, average            ${avgRssMb.toFixed(1)} MB`);
    log(`engine VmHWM (peak since start) ${(mem.hwmKb / 1024).toFixed(1)} MB`);
    log(`time to bring all ONLINE       ${(upMs / 1000).toFixed(1)} s`);
    log(`result: ${pass ? 'PASS' : 'FAIL'}`);
    const r2 = (v) => Math.round(v * 100) / 100;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'engine-load',
        resources: TOTAL,
        monitorIntervalS: MONITOR_INTERVAL_S,
        seconds: r2((last.t - first.t) / 1000),
        cpuPctAvg: r2(cpuPct),
        cpuPctWorst5s: r2(Math.max(...windowPcts)),
        rssMbPeak: r2(peakRssMb),
        rssMbAvg: r2(avgRssMb),
        vmHwmMb: r2(mem.hwmKb / 1024),
        allOnlineAfterS: r2(upMs / 1000),
        targetCpuPct: TARGET_CPU_PCT,
        targetRssMb: TARGET_RSS_MB,
        pass,
      })}\n`,
    );
    process.exitCode = pass ? 0 : 1;
    if (opts['cpu-prof']) {
      await engine.stop(15_000);
      log(`CPU profile written to ${resolve(opts['cpu-prof'])}`);
    }
  } finally {
    await cleanup(home, engine);
  }
}

main().catch((e) => {
  process.stderr.write(`engine-load: ${e.stack ?? e.message}\n`);
  process.exitCode = 2;
});
