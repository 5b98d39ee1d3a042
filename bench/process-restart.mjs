#!/usr/bin/env node
// Benchmark (a) of issue 2: time from SIGKILL of a managed Process to the
// process restarted and the engine reporting it ONLINE again, against the
// program's own start time.
//
//   node bench/process-restart.mjs [--runs 20] [--json-only]
//
// One engine, one node (n1), one group with one Process resource running
// test/fixtures/service.mjs --port P (it answers TCP with its node name once
// Node has loaded it). RestartLimit 1000 so that every kill restarts in place;
// MonitorInterval 5 s so that a fast restart can only come from the engine
// seeing its child exit at once, not from the monitor tick.
//
// Per kill, polled every 5 ms (bounded):
//   online  = kill → a new pid recorded in run/agents/svc.json is running AND
//             res.state says ONLINE (what the issue calls "restarted and
//             monitored healthy");
//   serving = kill → the new process answers on its TCP port.
// The program's own start time, measured the same way by spawning the same
// command directly (no engine) the same number of times:
//   exec    = spawn() → the 'spawn' event (execve done);
//   ready   = spawn() → it answers on its TCP port.
// Engine overhead = median(online) − median(exec), and
//                   median(serving) − median(ready).
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { agentPid, cleanup, events, isRunning, makeHome, onSignalsCleanup, rpc, SERVICE, sleep, startEngine, stats, waitFor, writeConfig } from './lib.mjs';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'json-only': { type: 'boolean', default: false } } });
const RUNS = Math.max(1, Math.min(1000, Number(opts.runs) || 20));
const TARGET_OVERHEAD_MS = 300;
const POLL_MS = 5;
const PER_KILL_TIMEOUT_MS = 10_000;
const RES = 'svc';
const log = (s) => {
  if (!opts['json-only']) process.stdout.write(`${s}\n`);
};

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

/** true when something on the port sends us data (the fixture writes its node name): a half-dead listener does not. */
function answers(port, timeoutMs = 200) {
  return new Promise((resolvePromise) => {
    const s = connect({ port, host: '127.0.0.1' });
    const done = (v) => {
      clearTimeout(t);
      s.destroy();
      resolvePromise(v);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('data', () => done(true));
    s.once('error', () => done(false));
    s.once('end', () => done(false));
  });
}

function config(home, port) {
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'bench' },
    Nodes: [{ NodeName: 'n1' }],
    Types: { Process: { MonitorInterval: 5, OfflineMonitorInterval: 5 } },
    Groups: [
      {
        GroupName: 'g',
        GroupType: 'FAILOVER',
        NodeList: ['n1'],
        Resources: [
          {
            ResName: RES,
            Type: 'Process',
            Path: process.execPath,
            Arguments: [SERVICE, '--port', String(port), '--host', '127.0.0.1', `${home}/${RES}`],
            RestartLimit: 1000,
            Critical: true,
          },
        ],
      },
    ],
  };
}

async function resState(home) {
  const r = await rpc(home, 'res.state', { resource: RES }, 2000);
  if (!r.ok) throw new Error(`res.state: ${r.error?.message}`);
  return r.result.find((x) => x.node === 'n1')?.state;
}

/** The program on its own: spawn the same command as the engine does (detached, output to a file), `runs` times. */
async function ownStart(home, runs) {
  const exec = [];
  const ready = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const out = openSync(join(home, 'log/own-start.out'), 'a');
    const t0 = performance.now();
    const child = spawn(process.execPath, [SERVICE, '--port', String(port), '--host', '127.0.0.1', `${home}/own`], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MCCS_HOME: home },
    });
    closeSync(out);
    try {
      await new Promise((resolvePromise, reject) => {
        child.once('spawn', resolvePromise);
        child.once('error', reject);
      });
      exec.push(performance.now() - t0);
      const end = Date.now() + PER_KILL_TIMEOUT_MS;
      for (;;) {
        if (await answers(port)) break;
        if (Date.now() > end) throw new Error(`own start: ${SERVICE} did not answer on port ${port} within ${PER_KILL_TIMEOUT_MS} ms`);
        if (child.exitCode !== null) throw new Error(`own start: ${SERVICE} exited ${child.exitCode}`);
        await sleep(POLL_MS);
      }
      ready.push(performance.now() - t0);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await Promise.race([exited, sleep(2000)]);
    }
  }
  return { exec, ready };
}

async function oneKill(home, port, i) {
  const rec = agentPid(home, RES);
  if (!rec || !isRunning(rec.pid)) throw new Error(`kill ${i}: no running pid recorded for ${RES}`);
  if ((await resState(home)) !== 'ONLINE') throw new Error(`kill ${i}: ${RES} not ONLINE before the kill`);
  const mark = events(home).length;
  const wall0 = Date.now();
  const t0 = performance.now();
  process.kill(rec.pid, 'SIGKILL');
  // Until the old process is really dead its listening socket may still complete a handshake.
  const deadBy = Date.now() + 2000;
  while (isRunning(rec.pid) && Date.now() < deadBy) await sleep(1);
  let online;
  let serving;
  let newPid;
  const end = Date.now() + PER_KILL_TIMEOUT_MS;
  while (online === undefined || serving === undefined) {
    if (Date.now() > end) throw new Error(`kill ${i}: not restarted within ${PER_KILL_TIMEOUT_MS} ms (online=${online}, serving=${serving})`);
    const [st, ans] = await Promise.all([online === undefined ? resState(home) : undefined, serving === undefined ? answers(port, 100) : undefined]);
    const now = performance.now();
    if (online === undefined && st === 'ONLINE') {
      const r = agentPid(home, RES);
      if (r && r.pid !== rec.pid && isRunning(r.pid)) {
        online = now - t0;
        newPid = r.pid;
      }
    }
    if (serving === undefined && ans) serving = now - t0;
    await sleep(POLL_MS);
  }
  // Breakdown from the event log (ms resolution, wall clock).
  const evs = events(home, mark);
  const at = (rule) => {
    const e = evs.find((x) => x.rule === rule && x.resource === RES);
    return e ? Date.parse(e.time) - wall0 : undefined;
  };
  const starting = evs.find((x) => x.resource === RES && x.newState === 'STARTING');
  return { i, oldPid: rec.pid, newPid, online, serving, detectedMs: at('RESOURCE_FAILED'), startingMs: starting ? Date.parse(starting.time) - wall0 : undefined, onlineDoneMs: at('ONLINE_DONE') };
}

const fmt = (v) => (v === undefined || Number.isNaN(v) ? '   -' : v.toFixed(1).padStart(7));

async function main() {
  const home = makeHome('mccs-bench-restart-');
  let engine;
  onSignalsCleanup(() => cleanup(home, engine));
  try {
    const port = await freePort();
    writeConfig(home, config(home, port));
    engine = await startEngine(home, 'n1');
    await waitFor(`${RES} ONLINE`, async () => (await resState(home)) === 'ONLINE' && agentPid(home, RES), 30_000, 50);
    await waitFor(`${RES} answering`, () => answers(port), 10_000, 20);
    log(`engine pid ${engine.pid}, MCCS_HOME ${home}, ${RUNS} kills of ${RES} (MonitorInterval 5 s)`);

    const runs = [];
    for (let i = 1; i <= RUNS; i++) {
      const r = await oneKill(home, port, i);
      runs.push(r);
      log(`  kill ${String(i).padStart(2)}: pid ${r.oldPid} → ${r.newPid}  online ${fmt(r.online)} ms  serving ${fmt(r.serving)} ms  (event log: RESOURCE_FAILED +${r.detectedMs}, STARTING +${r.startingMs}, ONLINE_DONE +${r.onlineDoneMs} ms)`);
      // Let the engine settle (the monitor timer re-armed, nothing in flight) before the next kill.
      await sleep(200);
    }
    const faults = events(home).filter((e) => e.resource === RES && e.newState === 'FAULTED').length;
    if (faults) throw new Error(`${RES} went FAULTED ${faults} time(s): RestartLimit not honoured?`);

    const own = await ownStart(home, RUNS);
    const online = stats(runs.map((r) => r.online));
    const serving = stats(runs.map((r) => r.serving));
    const detected = stats(runs.map((r) => r.detectedMs).filter((v) => v !== undefined));
    const startingAt = stats(runs.map((r) => r.startingMs).filter((v) => v !== undefined));
    const onlineDone = stats(runs.map((r) => r.onlineDoneMs).filter((v) => v !== undefined));
    const exec = stats(own.exec);
    const ready = stats(own.ready);
    const overheadOnline = online.median - exec.median;
    const overheadServing = serving.median - ready.median;
    const pass = overheadOnline <= TARGET_OVERHEAD_MS && overheadServing <= TARGET_OVERHEAD_MS;

    log('');
    log(`                                        median      p90      max   (ms, n=${RUNS})`);
    log(`engine: kill → new pid + ONLINE       ${fmt(online.median)}  ${fmt(online.p90)}  ${fmt(online.max)}`);
    log(`engine: kill → new process serving    ${fmt(serving.median)}  ${fmt(serving.p90)}  ${fmt(serving.max)}`);
    log(`engine: kill → RESOURCE_FAILED logged ${fmt(detected.median)}  ${fmt(detected.p90)}  ${fmt(detected.max)}`);
    log(`engine: kill → STARTING logged        ${fmt(startingAt.median)}  ${fmt(startingAt.p90)}  ${fmt(startingAt.max)}`);
    log(`engine: kill → ONLINE_DONE logged     ${fmt(onlineDone.median)}  ${fmt(onlineDone.p90)}  ${fmt(onlineDone.max)}`);
    log(`own start: spawn → exec               ${fmt(exec.median)}  ${fmt(exec.p90)}  ${fmt(exec.max)}`);
    log(`own start: spawn → serving            ${fmt(ready.median)}  ${fmt(ready.p90)}  ${fmt(ready.max)}`);
    log(`engine overhead (ONLINE − own exec)   ${fmt(overheadOnline)}`);
    log(`engine overhead (serving − own ready) ${fmt(overheadServing)}`);
    log(`target: overhead ≤ ${TARGET_OVERHEAD_MS} ms → ${pass ? 'PASS' : 'FAIL'}`);
    const r1 = (v) => Math.round(v * 10) / 10;
    const pick = (s) => ({ median: r1(s.median), p90: r1(s.p90), max: r1(s.max) });
    process.stdout.write(
      `${JSON.stringify({
        bench: 'process-restart',
        runs: RUNS,
        unit: 'ms',
        restartOnline: pick(online),
        restartServing: pick(serving),
        detection: pick(detected),
        starting: pick(startingAt),
        onlineDone: pick(onlineDone),
        ownExec: pick(exec),
        ownReady: pick(ready),
        overheadOnlineMs: r1(overheadOnline),
        overheadServingMs: r1(overheadServing),
        targetOverheadMs: TARGET_OVERHEAD_MS,
        pass,
      })}\n`,
    );
    process.exitCode = pass ? 0 : 1;
  } finally {
    await cleanup(home, engine);
  }
}

main().catch((e) => {
  process.stderr.write(`process-restart: ${e.stack ?? e.message}\n`);
  process.exitCode = 2;
});
