#!/usr/bin/env node
// The README's quick-start demo (run by scripts/demo.sh after setup).
//
// As root: a real two-node cluster on this machine. The test lab
// (test/lab/lab.ts, compiled to dist-lab/ by demo.sh) builds network, PID and
// mount namespaces: node1, node2, a client and a gateway. One engine per
// node, a group web = NIC eth0 <- IP 10.213.0.100/24 <- Process echo-node,
// online on node1; a planned switch to node2 and back; then node1 is powered
// off (its init SIGKILLed with every process of the node, links down) and
// the client, probing the VIP every 10 ms, sees node2 answer.
//
// Without root: no namespaces, so no node power-off. Two engines on
// 127.0.0.1 and 127.0.0.2 of this host, a group web whose critical
// Application (echo-node on the node's own loopback address) is killed and
// fails for good (RestartLimit 0): the group moves to node2.
//
// Everything it creates is removed at the end, on failure and on Ctrl-C.
import { probeTcp } from '../test/lab/tcp-probe.mjs';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const NODE = process.execPath;
const ENGINE = join(REPO, 'dist', 'daemon', 'main.js');
const ECHO = join(REPO, 'test', 'lab', 'echo-node.mjs');
const BIN = (name) => join(REPO, 'bin', `${name}.js`);
const VIP = '10.213.0.100';
const ECHO_PORT = 7700;
const root = process.getuid?.() === 0;
const t0 = Date.now();

// ---------------------------------------------------------------- output

const tty = process.stdout.isTTY === true;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const green = (s) => (tty ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s) => (tty ? `\x1b[31m${s}\x1b[0m` : s);
const clock = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
const say = (msg) => console.log(`${clock()}  ${msg}`);
const step = (msg) => console.log(`\n${clock()}  ${bold(`== ${msg}`)}`);
const indent = (text) => text.replace(/\s+$/, '').split('\n').map((l) => `        ${l}`).join('\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class DemoError extends Error {}

async function waitFor(what, check, timeoutMs, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() >= end) throw new DemoError(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------- CLI

/** Runs one of the CLI entry points against the engine of `home`. */
function cli(home, name, args, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    const child = spawn(NODE, [BIN(name), ...args], {
      env: { ...process.env, MCCS_HOME: home, ...(tty ? { FORCE_COLOR: '1' } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out, err });
    });
  });
}

async function cliJson(home, name, args) {
  const r = await cli(home, name, [...args, '--json'], 10_000);
  try {
    return JSON.parse(r.out);
  } catch {
    return { ok: false, error: { message: (r.err || r.out).trim() || `exit ${r.code}` } };
  }
}

async function show(home, label, name, args) {
  say(`${bold(`${label} $ ${name} ${args.join(' ')}`)}`);
  const r = await cli(home, name, args);
  console.log(indent(r.out || r.err));
  if (r.code !== 0) throw new DemoError(`${name} ${args.join(' ')} exited with ${r.code}: ${(r.err || r.out).trim()}`);
  return r;
}

/** State of group `group` on `node` as seen by the engine of `home` (undefined if unknown). */
async function groupState(home, group, node) {
  // grp.state: [{ GroupName, node, state, Frozen, Locked }], one row per node of the NodeList.
  const r = await cliJson(home, 'mcgrp', ['state', group]);
  if (!r.ok || !Array.isArray(r.result)) return undefined;
  return r.result.find((row) => row.GroupName === group && row.node === node)?.state;
}

async function waitGroup(home, group, node, state, timeoutMs) {
  let last;
  try {
    await waitFor(`group ${group} ${state} on ${node}`, async () => (last = await groupState(home, group, node)) === state, timeoutMs, 200);
  } catch (e) {
    throw new DemoError(`${e.message} (last seen: ${last ?? 'no answer from the engine'})`);
  }
}

// ---------------------------------------------------------------- homes

function clusterConfig(nodes, group, tuning = {}) {
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'demo', HBPort: tuning.HBPort ?? 14321, ...tuning.cluster },
    Nodes: nodes,
    ...(tuning.Types ? { Types: tuning.Types } : {}),
    Groups: [group],
  };
}

/** Writes config/main.json and the shared config/cluster.key into every home. */
async function writeHomes(homes, config) {
  const { generateSecret } = await import(join(REPO, 'dist', 'cluster', 'crypto.js'));
  for (const home of homes) mkdirSync(join(home, 'config'), { recursive: true });
  const key = join(homes[0], 'config', 'cluster.key');
  generateSecret(key);
  for (const home of homes) {
    writeFileSync(join(home, 'config', 'main.json'), `${JSON.stringify(config, null, 2)}\n`);
    if (home !== homes[0]) {
      copyFileSync(key, join(home, 'config', 'cluster.key'));
      chmodSync(join(home, 'config', 'cluster.key'), 0o600);
    }
  }
}

function tail(file, lines = 25) {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------- cleanup

const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error(`demo: cleanup: ${e.message}`);
      }
    }
  })();
  return cleaning;
}
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    interrupted = true;
    console.error(`\ndemo: ${sig}: cleaning up…`);
    void cleanup().then(() => process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[sig])));
  });
}

// ---------------------------------------------------------------- root: the lab

async function rootDemo() {
  const lab = await import(join(REPO, 'dist-lab', 'test', 'lab', 'lab.js'));
  const { monotonicMs } = await import(join(REPO, 'dist-lab', 'test', 'lab', 'exec.js'));

  step('building the lab: network, PID and mount namespaces for node1, node2, a client and a gateway');
  const l = await lab.createLab({ id: 'demo' });
  cleanups.push(async () => {
    await lab.destroyLab(l);
    say(`lab removed (namespaces ${lab.labNamespaces(l).join(', ')}, ${l.dir})`);
  });
  const { node1, node2 } = l.nodes;
  say(`node1 ${node1.ipv4.primary} + ${node1.ipv4.secondary}, node2 ${node2.ipv4.primary} + ${node2.ipv4.secondary}, client ${lab.CLIENT_ADDR.ipv4}, gateway ${lab.GATEWAY.ipv4}`);

  const nodes = ['node1', 'node2'].map((n) => ({
    NodeName: n,
    PrimaryHB: l.nodes[n].ipv4.primary,
    SecondaryHB: l.nodes[n].ipv4.secondary,
    IsolationTestAddresses: lab.GATEWAY.ipv4,
  }));
  const group = {
    GroupName: 'web',
    GroupType: 'FAILOVER',
    NodeList: ['node1', 'node2'],
    AutoStart: true,
    Resources: [
      { ResName: 'web-nic', Type: 'NIC', Device: 'eth0' },
      { ResName: 'web-ip', Type: 'IP', NICResName: 'web-nic', Address: VIP, Prefix: 24, Critical: true },
      { ResName: 'web-app', Type: 'Process', Path: NODE, Arguments: [ECHO, '--port', String(ECHO_PORT)], Critical: true },
    ],
    Dependencies: [
      { Parent: 'web-ip', Child: 'web-nic' },
      { Parent: 'web-app', Child: 'web-ip' },
    ],
  };
  await writeHomes([node1.home, node2.home], clusterConfig(nodes, group));
  say(`MCCS_HOME of node1: ${node1.home} (main.json, cluster.key); node2 likewise`);

  step('starting one engine per node (mccs daemon), both at once');
  const engines = {};
  for (const n of ['node1', 'node2']) {
    engines[n] = await lab.startNode(l, n, { command: NODE, args: [ENGINE, '--node', n] });
    say(`${n}: engine pid ${engines[n].pid} (pid ${engines[n].nsPid} inside ${n}); log ${join(l.nodes[n].dir, 'console.log')}`);
  }
  const failed = (why) => {
    for (const n of ['node1', 'node2']) console.error(`\n--- ${n} console (last lines) ---\n${tail(join(l.nodes[n].dir, 'console.log'))}`);
    return new DemoError(why);
  };
  try {
    await waitGroup(node1.home, 'web', 'node1', 'ONLINE', 30_000);
  } catch (e) {
    throw failed(e.message);
  }
  say(green('group web is ONLINE on node1 (AutoStart, priority node)'));
  await show(node1.home, 'node1', 'mccluster', ['status']);

  step(`the client (${lab.CLIENT_ADDR.ipv4}) connects to the virtual IP ${VIP}:${ECHO_PORT}`);
  for (let i = 0; i < 3; i++) {
    const who = await lab.probeVip(l, VIP, ECHO_PORT, 500);
    say(`VIP ${VIP} answered by ${who ?? 'nobody'}`);
    if (who !== 'node1') throw failed(`expected node1 to answer on the VIP, got ${who ?? 'no answer'}`);
    await sleep(1000);
  }

  step('planned switch of web to node2, and back');
  for (const target of ['node2', 'node1']) {
    const s = Date.now();
    await show(node1.home, 'node1', 'mcgrp', ['switch', 'web', '--node', target, '--wait', '--timeout', '30']);
    say(`switch done in ${((Date.now() - s) / 1000).toFixed(2)} s`);
    // ONLINE means the process runs; it may need a few ms more to listen.
    let who = null;
    const end = Date.now() + 3000;
    while (who !== target && Date.now() < end) {
      who = await lab.probeVip(l, VIP, ECHO_PORT, 300);
      if (who !== target) await sleep(20);
    }
    say(`VIP ${VIP} answered by ${who ?? 'nobody'}`);
    if (who !== target) throw failed(`expected ${target} to answer on the VIP after the switch, got ${who ?? 'no answer'}`);
  }

  step('POWER OFF node1: its init is SIGKILLed with every process of the node, its links go down');
  const watch = await lab.watchVip(l, VIP, ECHO_PORT, 10, 300);
  await sleep(300);
  const faultAt = monotonicMs();
  const faultWall = Date.now();
  await lab.powerOff(l, 'node1');
  say(red('node1 is off'));
  let answer = null;
  const deadline = Date.now() + 20_000;
  while (answer !== 'node2' && Date.now() < deadline) {
    await sleep(250);
    answer = await lab.probeVip(l, VIP, ECHO_PORT, 200);
    say(`VIP ${VIP} answered by ${answer ?? 'nobody'}`);
  }
  await sleep(200);
  const events = await watch.stop();
  if (answer !== 'node2') throw failed('node2 did not take over within 20 s');
  const first = events.find((e) => e.answer === 'node2' && e.at >= faultAt);
  const failoverMs = first ? first.at - faultAt : NaN;
  const rel = (at) => `${at - faultAt >= 0 ? '+' : ''}${(at - faultAt).toFixed(0)} ms`;
  console.log('');
  say(bold(`client probe of ${VIP}:${ECHO_PORT} every 10 ms, relative to the power-off:`));
  say(`  ${events.map((e) => `${e.answer ?? 'no answer'} (from ${rel(e.at)})`).join(' -> ')}`);
  if (!first) throw failed('the 10 ms probe saw no answer from node2');
  say(green(bold(`failover time, power-off of node1 -> first answer from node2 on the VIP: ${(failoverMs / 1000).toFixed(3)} s`)));

  step('what node2 says');
  await show(node2.home, 'node2', 'mccluster', ['status']);
  const about = await whyItMoved(node2.home, 'node1');
  const when = (pred) => {
    const e = about.all.find((x) => pred(x) && Date.parse(x.time) >= faultWall);
    return e ? `${((Date.parse(e.time) - faultWall) / 1000).toFixed(3)} s` : '?';
  };
  say(bold(`timeline after the power-off (node2's event log): node1 judged FAULTED at ${when((e) => e.rule === 'DECISION_NODE_FAULT')}, ` +
    `web-ip online at ${when((e) => e.subject === 'resource:web-ip' && e.newState === 'ONLINE')}, ` +
    `web-app online at ${when((e) => e.subject === 'resource:web-app' && e.newState === 'ONLINE')}, first client answer at ${(failoverMs / 1000).toFixed(3)} s`));
  await show(node2.home, 'node2', 'mccluster', ['events', '--group', 'web', '--limit', '8']);
  return failoverMs;
}

/** The cluster's verdict about `peer` from the events of `home` (they are about the node, not the group). */
async function whyItMoved(home, peer) {
  const r = await cliJson(home, 'mccluster', ['events', '--limit', '60']);
  const events = Array.isArray(r.result) ? r.result : Array.isArray(r.result?.events) ? r.result.events : [];
  const about = events.filter((e) => e.subject === `node:${peer}` && /NODE_FAULT|^DECISION_|^FENCE_/.test(e.rule ?? '')).slice(-3);
  if (about.length > 0) {
    say(bold(`why: the events of node2 about ${peer}`));
    for (const e of about) console.log(indent(`${e.time}  ${e.rule}  ${e.message}`));
  }
  return { all: events };
}

// ---------------------------------------------------------------- not root: two engines on 127.0.0.x


async function userDemo() {
  console.log('Not root: no network or PID namespaces, so no node power-off here (run as root for that demo).');
  console.log('Instead: two engines on 127.0.0.1 and 127.0.0.2 of this host, and a group whose critical');
  console.log('application fails for good on node1 (RestartLimit 0), so the group moves to node2.');

  const work = process.env.MCCS_DEMO_DIR ?? mkdtempSync(join(tmpdir(), 'mccs-demo-'));
  mkdirSync(work, { recursive: true });
  cleanups.push(() => {
    rmSync(work, { recursive: true, force: true });
    say(`removed ${work}`);
  });
  const addr = { node1: '127.0.0.1', node2: '127.0.0.2' };
  const homes = { node1: join(work, 'node1'), node2: join(work, 'node2') };
  // The application: echo-node on the node's own loopback address, its pid in
  // $MCCS_HOME/run (the engine gives its programs MCCS_HOME and MCCS_NODE).
  // Both engines see every process of this host, so the pid file, not the
  // command line, tells which node's instance is which.
  const ctl = join(work, 'web-app.sh');
  writeFileSync(ctl, appScript(addr), { mode: 0o755 });
  const nodes = ['node1', 'node2'].map((n) => ({ NodeName: n, PrimaryHB: addr[n], IsolationTestAddresses: addr[n] }));
  const group = {
    GroupName: 'web',
    GroupType: 'FAILOVER',
    NodeList: ['node1', 'node2'],
    AutoStart: true,
    Resources: [
      { ResName: 'web-app', Type: 'Application', StartProgram: [ctl, 'start'], StopProgram: [ctl, 'stop'], MonitorProgram: [ctl, 'monitor'],
        Critical: true, RestartLimit: 0, MonitorInterval: 1 },
    ],
    Dependencies: [],
  };
  // A port range of its own (HBPort..HBPort+3), away from a real engine's default.
  await writeHomes([homes.node1, homes.node2], clusterConfig(nodes, group, { HBPort: 24321 }));

  step('starting two engines on this host: node1 on 127.0.0.1, node2 on 127.0.0.2');
  const pids = [];
  cleanups.push(async () => {
    // The application was started by the engines' StartProgram and left running (detached): by its pid file.
    for (const n of ['node1', 'node2']) {
      const f = join(homes[n], 'run', 'demo-app.pid');
      const pid = existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0;
      if (pid > 0 && existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('echo-node')) pids.push(pid);
    }
    await stopTree(pids);
    say(`engines and their children stopped (pids ${pids.join(', ')})`);
  });
  for (const n of ['node1', 'node2']) {
    mkdirSync(join(homes[n], 'log'), { recursive: true });
    const out = join(homes[n], 'log', 'console.log');
    const fd = openSync(out, 'a');
    const child = spawn(NODE, [ENGINE, '--node', n], { env: { ...process.env, MCCS_HOME: homes[n] }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    pids.push(child.pid);
    say(`${n}: engine pid ${child.pid}, MCCS_HOME ${homes[n]}`);
  }
  const failed = (why) => {
    for (const n of ['node1', 'node2']) console.error(`\n--- ${n} console (last lines) ---\n${tail(join(homes[n], 'log', 'console.log'))}`);
    return new DemoError(why);
  };
  try {
    await waitGroup(homes.node1, 'web', 'node1', 'ONLINE', 30_000);
  } catch (e) {
    throw failed(e.message);
  }
  say(green('group web is ONLINE on node1'));
  await show(homes.node1, 'node1', 'mccluster', ['status']);
  for (let i = 0; i < 2; i++) {
    say(`service on node1 (${addr.node1}:${ECHO_PORT}) answered by ${(await probeTcp(addr.node1, ECHO_PORT)) ?? 'nobody'}; on node2 (${addr.node2}:${ECHO_PORT}): ${(await probeTcp(addr.node2, ECHO_PORT)) ?? 'nobody'}`);
    await sleep(1000);
  }

  step('killing the application on node1 (SIGKILL); RestartLimit 0: its failure is final, it is critical');
  const pidFile = join(homes.node1, 'run', 'demo-app.pid');
  const appPid = Number(readFileSync(pidFile, 'utf8').trim());
  const killedAt = Date.now();
  process.kill(appPid, 'SIGKILL');
  say(red(`killed pid ${appPid}`));
  let who = null;
  const deadline = Date.now() + 20_000;
  while (who !== 'node2' && Date.now() < deadline) {
    await sleep(50);
    who = await probeTcp(addr.node2, ECHO_PORT, 200);
  }
  if (who !== 'node2') throw failed('the group did not move to node2 within 20 s');
  say(green(bold(`node2 serves on ${addr.node2}:${ECHO_PORT} ${((Date.now() - killedAt) / 1000).toFixed(2)} s after the kill (monitor every 1 s)`)));
  await waitGroup(homes.node2, 'web', 'node2', 'ONLINE', 10_000);

  step('what the nodes say');
  await show(homes.node2, 'node2', 'mccluster', ['status']);
  await show(homes.node1, 'node1', 'mccluster', ['events', '--group', 'web', '--limit', '6']);
  await show(homes.node2, 'node2', 'mccluster', ['events', '--group', 'web', '--limit', '4']);
}

function appScript(addr) {
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh
# web-app start|stop|monitor: echo-node on this node's loopback address (demo only).
case "$MCCS_NODE" in node1) addr=${addr.node1} ;; node2) addr=${addr.node2} ;; *) echo "unknown node $MCCS_NODE" >&2; exit 2 ;; esac
pidfile="$MCCS_HOME/run/demo-app.pid"
running() { [ -f "$pidfile" ] && pid=$(cat "$pidfile") && grep -q echo-node "/proc/$pid/cmdline" 2>/dev/null; }
case "$1" in
  start)
    running && exit 0
    ${q(NODE)} ${q(ECHO)} --host "$addr" --port ${ECHO_PORT} --name "$MCCS_NODE" >"$MCCS_HOME/log/web-app.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    i=0; while [ $i -lt 50 ]; do grep -q "listening" "$MCCS_HOME/log/web-app.log" 2>/dev/null && exit 0; sleep 0.1; i=$((i+1)); done
    exit 0 ;;
  stop)
    running && kill "$pid"
    rm -f "$pidfile"; exit 0 ;;
  monitor)
    running && { echo "echo-node pid $pid on $addr:${ECHO_PORT}"; exit 0; }
    echo "echo-node not running"; exit 1 ;;
esac
echo "usage: $0 start|stop|monitor" >&2; exit 2
`;
}

/** SIGKILL to the given pids and all their descendants (by pid, never by name). */
function stopTree(pids) {
  const descendants = (roots) => {
    const parent = new Map();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch { /* gone */ }
    }
    const out = new Set(roots);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, ppid] of parent) if (out.has(ppid) && !out.has(pid)) { out.add(pid); grew = true; }
    }
    return [...out];
  };
  const all = descendants(pids.filter(Boolean));
  for (const pid of all) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

// ---------------------------------------------------------------- main

let failoverMs;
let code = 0;
try {
  console.log(bold(`mccs demo — ${root ? 'two nodes in network namespaces on this machine (root)' : 'two engines on 127.0.0.x (not root)'}`));
  if (root) failoverMs = await rootDemo();
  else await userDemo();
} catch (e) {
  code = 1;
  if (!interrupted) console.error(`\n${red('demo FAILED')}: ${e instanceof DemoError ? e.message : e.stack ?? e}`);
}
step('tearing down');
await cleanup();
if (code === 0) {
  console.log(`\n${green(bold('demo OK'))} in ${((Date.now() - t0) / 1000).toFixed(1)} s${failoverMs !== undefined ? ` — failover after power-off: ${(failoverMs / 1000).toFixed(3)} s` : ''}`);
}
process.exit(code);
