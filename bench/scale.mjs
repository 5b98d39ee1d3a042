#!/usr/bin/env node
// bench/scale (issue 16): engine CPU and RSS per node, and decision time
// after a node failure, for clusters of several sizes sharing this machine.
//
//   npm run bench:scale -- [--nodes 3,8,16] [--groups 10] [--seconds 20] [--json-only] [--verbose]
//                          [--hb-interval MS] [--ping-interval MS] [--witness-ttl MS]   (default: the attribute defaults)
//
// Root only: the whole bench runs in a private network namespace of its own
// (`unshare --net`, re-executing this file), so that a node can be powered off
// honestly. There, loopback carries only the addresses the bench gives it:
// 127.0.0.1/32 (etcd, and every node's IsolationTestAddresses) and, for node
// k, PrimaryHB 127.0.1.k and SecondaryHB 127.0.2.k (/32 each). No other
// traffic, nothing on the host's own network.
//
// For each cluster size N, one after the other:
//   - one etcd 3.4 on 127.0.0.1 (random ports, shared by the sizes, a fresh
//     WitnessPrefix per size); N real engines (`node dist/daemon/main.js`),
//     each with its own MCCS_HOME, one cluster key, WitnessType etcd, default
//     timings (HBInterval 1000, HBTimeout 1000, WitnessTTL 1000 ms);
//   - 10 failover groups per node (--groups), each one Process resource
//     running /usr/bin/sleep with an argument unique to the run, NodeList the
//     whole cluster starting at its node (so it runs there and fails over to
//     the next node), the type's default monitor periods; once every node is RUNNING, each
//     node brings its own groups online (grp.online);
//   - once every group is ONLINE on its node and 5 s have passed, every engine
//     is sampled for --seconds: CPU = utime+stime of /proc/PID/stat over the
//     window (the engine process alone; its ping children are shown apart),
//     RSS = VmRSS of /proc/PID/status once a second;
//   - then node n2 is powered off: its engine and every process of its home
//     SIGKILLed by PID, and its two addresses removed from loopback, so its
//     heartbeats AND its ICMP answers stop as when a server loses power (a
//     killed engine whose address still answers ping is PEER_EXITED, rightly
//     no takeover: that is not what a node failure is).
//   - decision time = from the SIGKILL (wall clock of this machine) to each
//     surviving engine's DECISION_* record about n2 in its event log (the
//     engines run on this machine: one clock); reported for the first peer
//     and for the last one (every peer decided), with the verdict; then the
//     time until the last of n2's groups is ONLINE on another node (the
//     group's ONLINE record).
//
// Prints one table with a growth factor per step of N, then one JSON line.
// Exit code 0 = every size measured, 2 = a size could not be run (its row
// says why; the others still run). Bounded: the whole bench gives up after
// --budget seconds (default 570) and cleans up.
//
// Clean-up (also on error or Ctrl-C): every engine SIGKILLed by its PID, then
// every process whose environment holds MCCS_HOME=<its temp home>, the temp
// homes removed, etcd SIGKILLed by its PID; the network namespace goes away
// with its last process. Nothing is killed by name.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clockTicks, DIST, events, killHomeProcesses, makeHome, pidsOfHome, procMem, procStat, rpc, sleep, startEngine, waitFor, writeConfig } from './lib.mjs';
import { startLocalEtcd } from '../test/helpers/local-etcd.mjs';

const { values: opts } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3,8,16' },
    groups: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    budget: { type: 'string', default: '570' },
    'hb-interval': { type: 'string' },
    'witness-ttl': { type: 'string' },
    'ping-interval': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'json-only': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    'in-netns': { type: 'boolean', default: false },
  },
});
const SIZES = opts.nodes.split(',').map((s) => Number(s.trim()));
const GROUPS = Number(opts.groups);
const SECONDS = Number(opts.seconds);
const BUDGET_S = Number(opts.budget);
const bad = (what) => {
  process.stderr.write(`bench/scale: ${what}\n`);
  process.exit(2);
};
if (SIZES.length === 0 || SIZES.some((n) => !Number.isInteger(n) || n < 2 || n > 16)) bad(`--nodes ${opts.nodes}: a comma list of cluster sizes from 2 to 16`);
if (!Number.isInteger(GROUPS) || GROUPS < 1 || GROUPS > 50) bad(`--groups ${opts.groups}: groups per node, 1 to 50`);
if (!Number.isFinite(SECONDS) || SECONDS < 2 || SECONDS > 600) bad(`--seconds ${opts.seconds}: sampling window, 2 to 600`);
if (!Number.isFinite(BUDGET_S) || BUDGET_S < 30 || BUDGET_S > 3600) bad(`--budget ${opts.budget}: 30 to 3600 s`);
// Timings: the attribute defaults unless given (then HBTimeout follows HBInterval).
const TIMINGS = {};
if (opts['hb-interval'] !== undefined) {
  const v = Number(opts['hb-interval']);
  if (!Number.isInteger(v) || v < 50 || v > 60000) bad(`--hb-interval ${opts['hb-interval']}: ms, 50 to 60000`);
  Object.assign(TIMINGS, { HBInterval: v, HBTimeout: v });
}
if (opts['ping-interval'] !== undefined) {
  const v = Number(opts['ping-interval']);
  if (!Number.isInteger(v) || v < 20 || v > 5000) bad(`--ping-interval ${opts['ping-interval']}: ms, 20 to 5000`);
  TIMINGS.PingInterval = v;
}
if (opts['witness-ttl'] !== undefined) {
  const v = Number(opts['witness-ttl']);
  if (!Number.isInteger(v) || v < 100 || v > 60000) bad(`--witness-ttl ${opts['witness-ttl']}: ms, 100 to 60000`);
  TIMINGS.WitnessTTL = v;
}

const log = (s) => {
  if (!opts['json-only']) process.stdout.write(`${s}\n`);
};
const verbose = (s) => {
  if (opts.verbose) log(`  · ${s}`);
};

// ---------------------------------------------------------------- the namespace

if (process.getuid?.() !== 0) bad('needs root: the engines run in a private network namespace (unshare --net) where a node can be powered off (its addresses removed)');

const netnsOf = (pid) => execFileSync('readlink', [`/proc/${pid}/ns/net`], { encoding: 'utf8' }).trim();

if (!opts['in-netns']) {
  // Re-run this file in a network namespace of its own; it ends with its last process.
  const env = { ...process.env, MCCS_SCALE_OUTER_NETNS: netnsOf('self') };
  const r = spawnSync('unshare', ['--net', '--', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--in-netns'], { stdio: 'inherit', env });
  if (r.error) bad(`unshare --net: ${r.error.message}`);
  process.exit(r.status ?? 2);
}

// Never touch the host's loopback: refuse unless this process runs in another network namespace than the one that started it.
if (!process.env.MCCS_SCALE_OUTER_NETNS || netnsOf('self') === process.env.MCCS_SCALE_OUTER_NETNS) bad('not in a private network namespace (--in-netns given by hand?): refusing to change loopback addresses');

function ip(...args) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || '').trim()}`);
}

/**
 * ping on ICMP datagram sockets in this namespace, not raw ones. A raw ICMP socket receives a copy of
 * every ICMP packet of its namespace: N engines sharing one namespace run 2·N² pings (31 per engine at
 * 16 nodes, ~500 in all, each sending 10 probes a second), so every packet went to ~500 sockets and
 * that fan-out alone took most of a core at 16 nodes. On a real node a namespace holds only its own
 * engine's 2·(N−1)+1 pings. iputils ping uses a datagram socket when net.ipv4.ping_group_range (per
 * namespace; "1 0" = nobody in a new one) admits its group, a raw socket otherwise; the engines' pings
 * behave the same either way (one line per answer).
 */
function pingOnDatagramSockets() {
  writeFileSync('/proc/sys/net/ipv4/ping_group_range', '0 2147483647\n');
}

function prepareLoopback() {
  ip('link', 'set', 'lo', 'up');
  // The /8 would answer for every 127.x address: keep 127.0.0.1 alone, then one /32 per node address.
  spawnSync('ip', ['addr', 'del', '127.0.0.1/8', 'dev', 'lo']);
  spawnSync('ip', ['addr', 'add', '127.0.0.1/32', 'dev', 'lo']);
}

const addressesOf = (k) => [`127.0.1.${k}`, `127.0.2.${k}`];
const addAddresses = (k) => addressesOf(k).forEach((a) => ip('addr', 'add', `${a}/32`, 'dev', 'lo'));
const removeAddresses = (k) => addressesOf(k).forEach((a) => spawnSync('ip', ['addr', 'del', `${a}/32`, 'dev', 'lo']));

// ---------------------------------------------------------------- one cluster

const startedAt = performance.now();
const remainingMs = () => BUDGET_S * 1000 - (performance.now() - startedAt);
const bounded = (ms) => Math.max(1000, Math.min(ms, remainingMs()));
const SLEEP = '/usr/bin/sleep';
// The Process type's own defaults (MonitorInterval 10 s, OfflineMonitorInterval 60 s): every engine holds every
// group (NodeList = the whole cluster), offline on all nodes but one, and an offline probe of a Process resource
// scans /proc (for a process to adopt), whose size grows with every engine sharing this machine.
const SETTLE_S = 5;
const VICTIM = 2;

function clusterConfig(n, etcd, runTag, hbPort) {
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const groups = [];
  for (let k = 1; k <= n; k++) {
    const nodeList = [...names.slice(k - 1), ...names.slice(0, k - 1)];
    for (let j = 0; j < GROUPS; j++) {
      // GNU sleep takes a fractional duration: unique to the run, the node and the group (adoption by path and arguments finds only ours).
      const arg = `1000000.${runTag}${String(k).padStart(2, '0')}${String(j).padStart(2, '0')}`;
      groups.push({ GroupName: `g${k}x${j}`, GroupType: 'FAILOVER', NodeList: nodeList, AutoStart: false, Resources: [{ ResName: `g${k}x${j}-sleep`, Type: 'Process', Path: SLEEP, Arguments: [arg] }], Dependencies: [] });
    }
  }
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: `scale${n}`, HBPort: hbPort, GroupLimit: Math.max(32, n * GROUPS), ...TIMINGS, WitnessType: 'etcd', WitnessEndpoints: etcd.endpoint, WitnessPrefix: `/mccs-bench-scale/${runTag}/n${n}` },
    Nodes: names.map((name, i) => ({ NodeName: name, PrimaryHB: addressesOf(i + 1)[0], SecondaryHB: addressesOf(i + 1)[1], IsolationTestAddresses: '127.0.0.1' })),
    Groups: groups,
  };
}

/** group → node where it is ONLINE (as node n's engine sees it). */
async function onlineWhere(home) {
  const r = await rpc(home, 'grp.state', {}, 10_000);
  if (!r.ok) throw new Error(`grp.state: ${r.error?.message}`);
  const where = new Map();
  for (const row of r.result) if (row.state === 'ONLINE') where.set(row.GroupName, row.node);
  const faulted = r.result.filter((x) => x.state === 'FAULTED');
  return { where, faulted };
}

function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Ping children of an engine (its ICMP to every peer address and to the isolation test address). */
function pingsOf(enginePid, home) {
  return pidsOfHome(home).filter((p) => p !== enginePid && comm(p) === 'ping' && procStat(p)?.ppid === enginePid);
}

/** Jiffies of the whole machine from /proc/stat: total, idle (idle + iowait), number of CPUs. */
function machineTicks() {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const f = lines[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: f.slice(0, 8).reduce((a, b) => a + b, 0), idle: f[3] + f[4], cpus: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r2 = (v) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null);

async function runCluster(n, etcd, index) {
  const runTag = String(process.pid % 100000).padStart(5, '0') + String(index);
  const hbPort = 20000 + 4 * Math.floor(Math.random() * 5000);
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const homes = names.map((name) => makeHome(`mccs-scale-${name}-`));
  const engines = new Map();
  active = { n, homes, engines };
  const row = { nodes: n, groups: n * GROUPS };
  try {
    for (let k = 1; k <= n; k++) addAddresses(k);
    const config = clusterConfig(n, etcd, runTag, hbPort);
    const { generateSecret } = await import(join(DIST, 'cluster/crypto.js'));
    generateSecret(join(homes[0], 'config/cluster.key'));
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        copyFileSync(join(homes[0], 'config/cluster.key'), join(homes[i], 'config/cluster.key'));
        chmodSync(join(homes[i], 'config/cluster.key'), 0o600);
      }
      writeConfig(homes[i], config);
    }
    log(`\n${n} nodes: ${n * GROUPS} groups, HBPort ${hbPort}, etcd ${etcd.endpoint} prefix ${config.Cluster.WitnessPrefix}`);
    const t0 = performance.now();
    // --cpu-prof DIR: n1 runs under `node --cpu-prof` and is stopped (SIGTERM) after the sampling window, so that its profile is written.
    const profDir = opts['cpu-prof'] ? resolve(opts['cpu-prof'], `n${n}`) : undefined;
    if (profDir) mkdirSync(profDir, { recursive: true });
    const nodeArgs = (i) => (profDir && i === 0 ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []);
    const started = await Promise.allSettled(names.map((name, i) => startEngine(homes[i], name, { nodeArgs: nodeArgs(i), timeoutMs: bounded(120_000), stdoutFile: join(homes[i], 'log/stdout.log') }).then((e) => engines.set(name, e))));
    const failed = started.flatMap((s, i) => (s.status === 'rejected' ? [{ name: names[i], why: s.reason.message.split(homes[i]).join('$MCCS_HOME').split('\n').slice(0, 4).join(' | ') }] : []));
    if (failed.length) {
      // One line per distinct reason, with the nodes that gave it.
      const by = new Map();
      for (const f of failed) by.set(f.why, [...(by.get(f.why) ?? []), f.name]);
      throw new Error(`engines did not start: ${[...by].map(([why, ns]) => `${ns.join(', ')}: ${why}`).join('; ')}`);
    }
    verbose(`engines ${[...engines.values()].map((e) => e.pid).join(' ')} up after ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Every node RUNNING as every engine sees it; then each node brings its own groups online
    // (AutoStart would put them on whichever node probed first).
    await waitFor(
      `all ${n} nodes RUNNING on every engine`,
      async () => {
        for (const home of homes) {
          const s = await rpc(home, 'cluster.status', {}, 10_000);
          if (!s.ok || s.result.nodes.length !== n || !s.result.nodes.every((x) => x.state === 'RUNNING')) return false;
        }
        return true;
      },
      bounded(120_000),
      250,
    );
    const retried = [];
    await Promise.all(
      names.map(async (name, i) => {
        for (const g of config.Groups.filter((x) => x.NodeList[0] === name)) {
          // As an operator would: a refusal (e.g. the witness did not answer in time on a busy machine) is retried, at most 3 times; counted.
          for (let attempt = 0; ; attempt++) {
            const r = await rpc(homes[i], 'grp.online', { group: g.GroupName, wait: true, timeout: 120 }, bounded(130_000));
            if (r.ok) break;
            if (attempt >= 3) throw new Error(`grp.online ${g.GroupName} on ${name} (${attempt + 1} attempts): ${r.error?.message}`);
            retried.push(`${g.GroupName}: ${(r.error?.message ?? '').slice(0, 160)}`);
            await sleep(1000);
          }
        }
      }),
    );
    // Every group ONLINE on its own node (the first of its NodeList), as n1 sees it.
    let lastSeen;
    await waitFor(
      `all ${n * GROUPS} groups ONLINE on their nodes`,
      async () => {
        const { where, faulted } = await onlineWhere(homes[0]);
        if (faulted.length) throw new Error(`FAULTED: ${faulted.map((f) => `${f.GroupName} on ${f.node}`).join(', ')}`);
        lastSeen = where;
        return config.Groups.every((g) => where.get(g.GroupName) === g.NodeList[0]);
      },
      bounded(120_000),
      500,
    ).catch((e) => {
      const off = config.Groups.filter((g) => lastSeen?.get(g.GroupName) !== g.NodeList[0]);
      const counts = {};
      for (const home of homes) for (const ev of events(home)) if (['OWNERSHIP_LAPSED', 'OWNERSHIP_HOLD_ON_PEER', 'OWNERSHIP_REFUSED', 'OWNERSHIP_LOST'].includes(ev.rule)) counts[ev.rule] = (counts[ev.rule] ?? 0) + 1;
      throw new Error(`${e.message.split('\n')[0]}: ${off.length} not ONLINE on their node as n1 sees it (${off.slice(0, 4).map((g) => `${g.GroupName}: ${lastSeen?.get(g.GroupName) ?? 'not online'}`).join(', ')}${off.length > 4 ? ', …' : ''}); witness records on all engines: ${JSON.stringify(counts)}`);
    });
    row.allOnlineAfterS = r2((performance.now() - t0) / 1000);
    row.onlineRetries = retried.length;
    if (retried.length) log(`  ${retried.length} grp.online call(s) refused and retried, e.g. ${retried[0]}`);
    log(`  all groups ONLINE after ${row.allOnlineAfterS} s; settling ${SETTLE_S} s, then sampling ${SECONDS} s`);
    await sleep(SETTLE_S * 1000);

    // ---- CPU and RSS per engine
    const hz = clockTicks();
    const ticks = (pid) => {
      const s = procStat(pid);
      if (!s) throw new Error(`engine ${pid} is gone`);
      return s.utime + s.stime;
    };
    const list = names.map((name) => ({ name, engine: engines.get(name), home: homes[names.indexOf(name)] }));
    const pingPids = new Map(list.map((x) => [x.name, pingsOf(x.engine.pid, x.home)]));
    const pingTicks = () => new Map([...pingPids].map(([name, pids]) => [name, new Map(pids.map((p) => [p, procStat(p) ? procStat(p).utime + procStat(p).stime : undefined]))]));
    const first = { t: performance.now(), ticks: new Map(list.map((x) => [x.name, ticks(x.engine.pid)])), pings: pingTicks(), machine: machineTicks(), etcd: ticks(etcd.pid) };
    const rss = new Map(list.map((x) => [x.name, []]));
    for (let s = 1; s <= SECONDS; s++) {
      await sleep(Math.max(0, first.t + s * 1000 - performance.now()));
      for (const x of list) rss.get(x.name).push(procMem(x.engine.pid)?.rssKb ?? NaN);
    }
    const last = { t: performance.now(), ticks: new Map(list.map((x) => [x.name, ticks(x.engine.pid)])), pings: pingTicks(), machine: machineTicks(), etcd: ticks(etcd.pid) };
    const windowS = (last.t - first.t) / 1000;
    const cpu = list.map((x) => ((last.ticks.get(x.name) - first.ticks.get(x.name)) / hz / windowS) * 100);
    const rssMb = list.map((x) => mean(rss.get(x.name)) / 1024);
    // Pings alive over the whole window only (each is replaced every 60 s).
    const pingCpu = list.map((x) => {
      let sum = 0;
      for (const [pid, a] of first.pings.get(x.name)) {
        const b = last.pings.get(x.name).get(pid);
        if (a !== undefined && b !== undefined) sum += b - a;
      }
      return (sum / hz / windowS) * 100;
    });
    Object.assign(row, {
      windowS: r2(windowS),
      cpuPctMean: r2(mean(cpu)),
      cpuPctMax: r2(Math.max(...cpu)),
      cpuPctAll: r2(cpu.reduce((a, b) => a + b, 0)),
      rssMbMean: r2(mean(rssMb)),
      rssMbMax: r2(Math.max(...rssMb)),
      pingsPerEngine: r2(mean(list.map((x) => pingPids.get(x.name).length))),
      pingCpuPctPerEngine: r2(mean(pingCpu)),
      etcdCpuPct: r2(((last.etcd - first.etcd) / hz / windowS) * 100),
      machineBusyPct: r2((1 - (last.machine.idle - first.machine.idle) / Math.max(1, last.machine.total - first.machine.total)) * 100),
      cpus: last.machine.cpus,
    });
    log(`  machine ${row.machineBusyPct} % busy (${row.cpus} CPUs, everything running on it), etcd ${row.etcdCpuPct} %`);
    log(`  engine CPU ${row.cpuPctMean} % mean, ${row.cpuPctMax} % max (all ${n} engines: ${row.cpuPctAll} % of one core); RSS ${row.rssMbMean} MB mean, ${row.rssMbMax} MB max; ${row.pingsPerEngine} pings per engine using ${row.pingCpuPctPerEngine} %`);
    verbose(`per engine CPU %: ${cpu.map((c, i) => `${names[i]} ${c.toFixed(2)}`).join(', ')}`);

    if (profDir) {
      await engines.get('n1').stop(15_000);
      log(`  CPU profile of n1 written to ${profDir}; the failover is not measured in a profiling run`);
      row.failoverError = 'not measured (--cpu-prof)';
      return row;
    }

    // ---- power-off of n2
    const victim = names[VICTIM - 1];
    const vHome = homes[VICTIM - 1];
    const vEngine = engines.get(victim);
    const survivors = list.filter((x) => x.name !== victim);
    const marks = new Map(survivors.map((x) => [x.name, events(x.home).length]));
    // Still where they were put? (A stalled engine drops its groups when its witness lease lapses.)
    const { where: placed } = await onlineWhere(homes[0]);
    const moved = config.Groups.filter((g) => placed.get(g.GroupName) !== g.NodeList[0]);
    if (moved.length) {
      row.notOnlineBeforePowerOff = moved.length;
      log(`  WARNING: ${moved.length} of ${config.Groups.length} groups are no longer ONLINE on their nodes before the power-off (${moved.slice(0, 5).map((g) => `${g.GroupName}: ${placed.get(g.GroupName) ?? 'not online'}`).join(', ')}${moved.length > 5 ? ', …' : ''})`);
    }
    const victimGroups = config.Groups.filter((g) => g.NodeList[0] === victim && placed.get(g.GroupName) === victim).map((g) => g.GroupName);
    const killedAt = Date.now();
    const killedPerf = performance.now();
    process.kill(vEngine.pid, 'SIGKILL');
    for (const pid of pidsOfHome(vHome)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    removeAddresses(VICTIM);
    engines.delete(victim);
    log(`  ${victim} powered off (engine ${vEngine.pid} and its processes SIGKILLed, ${addressesOf(VICTIM).join(' and ')} removed); waiting for every peer's decision and for ${victimGroups.length} groups to come ONLINE elsewhere`);

    // Per peer: every DECISION_* record about the victim in order (a peer may first see its witness lease
    // still valid for a few ms: PARTITION, then NODE_FAULT); the decision time is that of DECISION_NODE_FAULT.
    const decisions = new Map(survivors.map((x) => [x.name, []]));
    const onlineAt = new Map();
    const scan = () => {
      for (const x of survivors) {
        const evs = events(x.home, marks.get(x.name));
        decisions.set(
          x.name,
          evs.filter((e) => e.subject === `node:${victim}` && typeof e.rule === 'string' && e.rule.startsWith('DECISION_')).map((e) => ({ rule: e.rule, ms: Date.parse(e.time) - killedAt })),
        );
        for (const e of evs) {
          if (e.newState !== 'ONLINE' || !e.group || !victimGroups.includes(e.group) || e.node !== x.name || !e.subject.startsWith('group:')) continue;
          const at = Date.parse(e.time) - killedAt;
          if (!onlineAt.has(e.group) || onlineAt.get(e.group).ms > at) onlineAt.set(e.group, { node: x.name, ms: at });
        }
      }
    };
    const faultOf = (name) => decisions.get(name).find((d) => d.rule === 'DECISION_NODE_FAULT');
    await waitFor(
      'every peer to decide about the powered-off node and its groups to be ONLINE elsewhere',
      async () => {
        scan();
        return survivors.every((x) => decisions.get(x.name).length > 0) && victimGroups.every((g) => onlineAt.has(g));
      },
      bounded(90_000),
      100,
    ).catch((e) => {
      row.failoverError = e.message;
    });
    // A peer that decided otherwise first gets a few seconds more for its NODE_FAULT record.
    if (!row.failoverError) await waitFor('DECISION_NODE_FAULT on every peer', async () => (scan(), survivors.every((x) => faultOf(x.name))), bounded(5000), 100).catch(() => undefined);
    scan();
    const faults = survivors.map((x) => faultOf(x.name)).filter(Boolean);
    const firsts = survivors.map((x) => decisions.get(x.name)[0]).filter(Boolean);
    const before = {};
    for (const x of survivors) for (const d of decisions.get(x.name)) if (d.rule !== 'DECISION_NODE_FAULT' && (!faultOf(x.name) || d.ms <= faultOf(x.name).ms)) before[d.rule] = (before[d.rule] ?? 0) + 1;
    const onl = [...onlineAt.values()];
    Object.assign(row, {
      peers: survivors.length,
      nodeFaultBy: faults.length,
      decisionMsFirst: faults.length ? Math.min(...faults.map((d) => d.ms)) : null,
      decisionMsLast: faults.length === survivors.length ? Math.max(...faults.map((d) => d.ms)) : null,
      firstRecordMs: firsts.length ? Math.min(...firsts.map((d) => d.ms)) : null,
      otherVerdictsFirst: before,
      groupsOnlineElsewhere: onl.length,
      groupsOnlineMsLast: onl.length === victimGroups.length ? Math.max(...onl.map((o) => o.ms)) : null,
      takenBy: [...new Set(onl.map((o) => o.node))],
      waitedS: r2((performance.now() - killedPerf) / 1000),
    });
    const others = Object.entries(before).map(([k, v]) => `${k} on ${v} peer(s) before it`).join(', ');
    log(`  DECISION_NODE_FAULT by ${faults.length}/${survivors.length} peers, first ${row.decisionMsFirst} ms, last ${row.decisionMsLast} ms after the power-off${others ? ` (${others})` : ''}; ${onl.length}/${victimGroups.length} groups ONLINE on ${row.takenBy.join(', ') || '-'} by ${row.groupsOnlineMsLast} ms${row.failoverError ? ` (${row.failoverError})` : ''}`);
    // Witness lease trouble over the whole run (start to the end of the failover), on every engine.
    const lapse = { OWNERSHIP_LAPSED: 0, OWNERSHIP_HOLD_ON_PEER: 0 };
    for (const home of homes) for (const e of events(home)) if (e.rule in lapse) lapse[e.rule] += 1;
    row.ownershipLapsed = lapse.OWNERSHIP_LAPSED;
    row.ownershipHoldOnPeer = lapse.OWNERSHIP_HOLD_ON_PEER;
    if (lapse.OWNERSHIP_LAPSED || lapse.OWNERSHIP_HOLD_ON_PEER) log(`  witness leases: ${lapse.OWNERSHIP_LAPSED} OWNERSHIP_LAPSED, ${lapse.OWNERSHIP_HOLD_ON_PEER} OWNERSHIP_HOLD_ON_PEER records over the run (renewals later than 3/4 WitnessTTL)`);
    verbose(`decisions: ${[...decisions].map(([k, ds]) => `${k}: ${ds.map((d) => `${d.rule} ${d.ms} ms`).join(' → ')}`).join('; ')}`);
    return row;
  } finally {
    // A profiling run that failed before its window still writes n1's profile (SIGTERM, not SIGKILL).
    if (opts['cpu-prof'] && engines.has('n1')) await engines.get('n1').stop(15_000).catch(() => undefined);
    await cleanupCluster();
  }
}

/** The cluster being run, for the clean-up (also on Ctrl-C). */
let active;

/** SIGKILL every engine by PID, then every process of their homes; remove the homes and the node addresses. */
async function cleanupCluster() {
  if (!active) return;
  const { n, homes, engines } = active;
  active = undefined;
  for (const e of engines.values()) await e.kill();
  for (const home of homes) {
    await killHomeProcesses(home);
    if (!opts.verbose) rmSync(home, { recursive: true, force: true });
    else log(`  kept ${home}`);
  }
  for (let k = 1; k <= n; k++) removeAddresses(k);
}

// ---------------------------------------------------------------- main

const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && a > 0 ? `×${(b / a).toFixed(2)}` : '-');

/** [step label, factor] per step of N, then smallest → largest when there are more than two sizes. */
function growth(rows, key) {
  const out = [];
  for (let i = 1; i < rows.length; i++) out.push([`${rows[i - 1].nodes}→${rows[i].nodes}`, ratio(rows[i - 1][key], rows[i][key])]);
  if (rows.length > 2) out.push([`${rows[0].nodes}→${rows.at(-1).nodes}`, ratio(rows[0][key], rows.at(-1)[key])]);
  return out;
}

const fmt = (v, w) => String(v ?? '-').padStart(w);

async function main() {
  prepareLoopback();
  pingOnDatagramSockets();
  const etcd = await startLocalEtcd({ host: '127.0.0.1' });
  const stop = async (sig) => {
    process.stderr.write(`\n${sig}: cleaning up\n`);
    await cleanupCluster().catch(() => undefined);
    await etcd.stop();
    process.exit(130);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  const rows = [];
  let failures = 0;
  try {
    log(`bench/scale: sizes ${SIZES.join(', ')}, ${GROUPS} groups per node (one Process resource: ${SLEEP}), sampling ${SECONDS} s, budget ${BUDGET_S} s; private network namespace, etcd ${etcd.endpoint} (pid ${etcd.pid})`);
    for (const [i, n] of SIZES.entries()) {
      if (remainingMs() < 30_000) {
        rows.push({ nodes: n, error: 'not run: the time budget is spent' });
        failures += 1;
        continue;
      }
      try {
        const row = await runCluster(n, etcd, i);
        if (row.failoverError) failures += 1;
        rows.push(row);
      } catch (e) {
        failures += 1;
        rows.push({ nodes: n, error: e.message.split('\n')[0].slice(0, 400) });
        log(`  ${n} nodes: FAILED: ${e.message.split('\n').slice(0, 4).join(' | ')}`);
      }
    }
  } finally {
    await etcd.stop();
  }

  const ok = rows.filter((r) => !r.error);
  log('\nDecision time: from the SIGKILL of n2 (engine and its processes, its addresses removed at once: a power-off) to each');
  log("surviving engine's DECISION_NODE_FAULT record about n2 (event log, ms; one machine, one clock): first peer / last peer");
  log('(a peer that saw n2\'s witness lease still valid for a few ms records PARTITION first: counted as "first: PARTITION ×k").');
  log('"online" is until the last of n2\'s groups is ONLINE on another node. CPU is the engine process alone');
  log('(utime+stime over the window, % of one core); its ping children are counted apart. The engines share this machine:');
  log('"busy %" is the whole machine over the window (every CPU, everything running); "lapses" counts OWNERSHIP_LAPSED records');
  log('(an owner whose witness renewals came later than 3/4 WitnessTTL drops its groups) over the run.');
  log(`Timings: ${Object.keys(TIMINGS).length ? Object.entries(TIMINGS).map(([k, v]) => `${k} ${v}`).join(', ') : 'the defaults (HBInterval 1000, HBTimeout 1000, WitnessTTL 1000 ms)'}.`);
  log('');
  log(`${'nodes'.padStart(5)} ${'groups'.padStart(6)} ${'CPU % mean'.padStart(10)} ${'CPU % max'.padStart(9)} ${'RSS MB mean'.padStart(11)} ${'RSS MB max'.padStart(10)} ${'pings'.padStart(5)} ${'ping CPU %'.padStart(10)} ${'etcd %'.padStart(6)} ${'busy %'.padStart(6)} ${'lapses'.padStart(6)} ${'decision ms first/last'.padStart(22)} ${'online ms'.padStart(9)}  NODE_FAULT by`);
  for (const r of rows) {
    if (r.error) {
      log(`${fmt(r.nodes, 5)}  FAILED: ${r.error}`);
      continue;
    }
    log(`${fmt(r.nodes, 5)} ${fmt(r.groups, 6)} ${fmt(r.cpuPctMean, 10)} ${fmt(r.cpuPctMax, 9)} ${fmt(r.rssMbMean, 11)} ${fmt(r.rssMbMax, 10)} ${fmt(r.pingsPerEngine, 5)} ${fmt(r.pingCpuPctPerEngine, 10)} ${fmt(r.etcdCpuPct, 6)} ${fmt(r.machineBusyPct, 6)} ${fmt(r.ownershipLapsed, 6)} ${fmt(`${r.decisionMsFirst ?? '-'} / ${r.decisionMsLast ?? '-'}`, 22)} ${fmt(r.groupsOnlineMsLast, 9)}  ${r.nodeFaultBy}/${r.peers}${Object.keys(r.otherVerdictsFirst).length ? ` (first: ${Object.entries(r.otherVerdictsFirst).map(([k, v]) => `${k.replace('DECISION_', '')} ×${v}`).join(', ')})` : ''}`);
  }
  const g = {};
  if (ok.length > 1) {
    for (const [key, label] of [
      ['cpuPctMean', 'CPU per engine'],
      ['rssMbMean', 'RSS per engine'],
      ['decisionMsLast', 'decision (last peer)'],
      ['groupsOnlineMsLast', 'groups online again'],
    ]) {
      g[key] = Object.fromEntries(growth(ok, key));
      log(`growth of ${label.padEnd(22)} ${growth(ok, key).map(([step, v]) => `${step} ${v}`).join(', ')}`);
    }
  }
  process.stdout.write(`${JSON.stringify({ bench: 'scale', groupsPerNode: GROUPS, sampleSeconds: SECONDS, timings: TIMINGS, rows, growth: g })}\n`);
  process.exitCode = failures ? 2 : 0;
}

main().catch((e) => {
  process.stderr.write(`bench/scale: ${e.stack ?? e.message}\n`);
  process.exitCode = 2;
});
