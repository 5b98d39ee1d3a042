// Replication benchmark of issue 12 (bench/README.md, "## replication"): a
// PostgreSQLReplication group (NIC ← IP ← PostgreSQLReplication, default
// settings) in the two-node lab, each node with its own PostgreSQL 15 server
// and data directory, a writer in the client namespace inserting a numbered
// row through the VIP every 10 ms (connection attempts time out after 200 ms,
// as a client with a short connect timeout).
//   - power-off of the primary, N rounds in synchronous mode (SyncMode on)
//     and N in asynchronous mode (off): power-off → the first row
//     acknowledged by the new primary; the node is powered on again between
//     rounds and comes back as a standby by itself (pg_rewind);
//   - N planned switchovers (grp.switch): request → first row acknowledged by
//     the new primary, and grp.switch --wait's own duration;
//   - acknowledged rows lost, per mode (every acknowledged row must be in the
//     table at the end).
// Then Patroni (Debian package patroni 3.0.2, with etcd 3.4) in the same lab,
// at its defaults and at the tightest legal tuning (bench/replication-patroni.ts);
// the output says why when it cannot be set up.
//
//   npm run bench:replication -- [--rounds N] [--json-only] [--no-patroni] [--patroni-only] [--switchovers-only] [--db-beside-ip]
// --db-beside-ip: the group without the PostgreSQLReplication → IP dependency (the promotion overlaps the IP's checks).
//
// Exit code 0 = targets met (medians: failover <= 2.0 s in both modes,
// switchover <= 0.5 s, 0 rows lost in synchronous mode), 1 = missed,
// 2 = the bench failed. Root only; every process it signals is one it
// started; the lab is destroyed on success, failure and SIGINT/SIGTERM.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { waitFor } from '../test/lab/exec.js';
import { bootNode, createLab, destroyLab, execInClient, execInNode, powerOff, powerOn, spawnInNode, type Lab, type NodeName } from '../test/lab/lab.js';
import { initPgCluster, makeDataDir, makeSocketDir, PG_BIN, postgresIds } from '../test/lab/pg-cluster.js';
import { firstAckAfter, firstAckOnNewConnection, longestGapMs, lostRows, startWriter, type WriterRun } from '../test/lab/pg-writer-run.js';
import { engineRpc, waitAllRunning, writeEngineHomes } from './engine-api.js';
import { measurePatroni, type PatroniFigures } from './replication-patroni.js';

const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'json-only': { type: 'boolean', default: false }, 'no-patroni': { type: 'boolean', default: false }, 'patroni-only': { type: 'boolean', default: false }, 'switchovers-only': { type: 'boolean', default: false }, 'db-beside-ip': { type: 'boolean', default: false } } });
const ROUNDS = Math.max(1, Math.min(20, Number(opts.rounds) || 5));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DAEMON = join(ROOT, 'dist/daemon/main.js');
const VIP = '10.213.0.100';
const NODES: NodeName[] = ['node1', 'node2'];
const GROUP = 'pg';
const RES = 'pg-db';
const other = (n: NodeName): NodeName => (n === 'node1' ? 'node2' : 'node1');
const say = (s: string): void => {
  if (!opts['json-only']) process.stdout.write(`${s}\n`);
};
const sec = (ms: number | null | undefined): string => (ms === null || ms === undefined || !Number.isFinite(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`);
function median(xs: number[]): number | null {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const rpc = engineRpc(10_000);


let lab: Lab | undefined;
let cleaning: Promise<void> | undefined;
const writers: WriterRun[] = [];
async function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const w of writers) if (w.child.exitCode === null && w.child.pid) w.child.kill('SIGKILL');
    if (lab) await destroyLab(lab).catch((e: Error) => process.stderr.write(`destroyLab: ${e.message}\n`));
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\nbench/replication: ${sig}: cleaning up\n`);
    void cleanup().then(() => process.exit(130));
  });
}

function mainJson(dataDir: string): unknown {
  const node = (i: number) => ({ NodeName: `node${i}`, PrimaryHB: `10.213.0.${i}`, SecondaryHB: `10.213.1.${i}`, IsolationTestAddresses: '10.213.0.254' });
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'benchrepl' },
    Nodes: [node(1), node(2)],
    Types: { PostgreSQLReplication: { MonitorInterval: 1, OfflineMonitorInterval: 1 } },
    Groups: [{
      GroupName: GROUP, GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], AutoStart: false,
      Resources: [
        { ResName: 'pg-nic', Type: 'NIC', Device: 'eth0' },
        { ResName: 'pg-ip', Type: 'IP', NICResName: 'pg-nic', Address: VIP, Prefix: 24, Critical: true },
        { ResName: RES, Type: 'PostgreSQLReplication', DataDir: dataDir, Port: 5432, SocketDir: '/run/postgresql', OsUser: 'postgres', ReplicationHosts: 'node1=10.213.0.1,node2=10.213.0.2', Critical: true },
      ],
      // --db-beside-ip: no PostgreSQLReplication → IP dependency: the promotion runs while the IP's checks run (it still
      // waits for the old primary's demotion: a switch starts nothing on the new node before everything is offline on the old).
      Dependencies: opts['db-beside-ip'] ? [{ Parent: 'pg-ip', Child: 'pg-nic' }] : [{ Parent: 'pg-ip', Child: 'pg-nic' }, { Parent: RES, Child: 'pg-ip' }],
    }],
  };
}

class Cluster {
  constructor(readonly lab: Lab, readonly dataDir: string) {}
  home = (n: NodeName): string => this.lab.nodes[n].home;
  realDir = (n: NodeName): string => join(this.lab.nodes[n].dir, 'pgdata');

  async boot(n: NodeName): Promise<void> {
    await bootNode(this.lab, n);
    makeSocketDir(this.lab.nodes[n].run);
    const r = await execInNode(this.lab, n, 'mount', ['--bind', this.realDir(n), this.dataDir]);
    if (r.exitCode !== 0) throw new Error(`bind mount on ${n}: ${r.stderr}`);
  }

  async startEngine(n: NodeName): Promise<void> {
    await this.boot(n);
    await spawnInNode(this.lab, n, { command: process.execPath, args: [DAEMON, '--node', n] });
    await waitFor(`the engine of ${n}`, async () => (await rpc(this.home(n), 'cluster.status'))?.ok, 30_000, 200);
  }

  async primary(): Promise<NodeName> {
    for (const viewer of NODES) {
      try {
        const r = await rpc(this.home(viewer), 'grp.state', { group: GROUP });
        const on = (r.result as { node: NodeName; state: string }[]).filter((x) => x.state === 'ONLINE').map((x) => x.node);
        if (on.length === 1) return on[0]!;
      } catch {
        /* that engine is down */
      }
    }
    throw new Error('the group is online on no single node');
  }

  /** The standby on n streams (and is synchronous when sync). */
  async standby(n: NodeName, sync: boolean, limitMs = 120_000): Promise<void> {
    await waitFor(`${n} to be a streaming${sync ? ' synchronous' : ''} standby`, async () => {
      const r = await rpc(this.home(n), 'res.state', { resource: RES });
      const d = (r.result as { node: string; details?: Record<string, unknown> }[]).find((x) => x.node === n)?.details;
      if (r.result.find((x: { node: string; state: string }) => x.node === n)?.state === 'FAULTED') await rpc(this.home(n), 'grp.clear', { group: GROUP, node: n });
      return d?.role === 'standby' && d.receiver === 'streaming' && (!sync || d.sync === 'sync');
    }, limitMs, 250);
  }
}

async function psqlClient(sql: string): Promise<string> {
  const r = await execInClient(lab!, `${PG_BIN}/psql`, ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', VIP, '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-c', sql], { timeoutMs: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } });
  if (r.exitCode !== 0) throw new Error(`psql: ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

interface Round { kind: 'failover-sync' | 'failover-async' | 'switchover'; from: NodeName; to: NodeName; ms: number; switchWaitMs?: number }

async function writerRound(c: Cluster, table: string, kind: Round['kind'], fault: (from: NodeName, to: NodeName) => Promise<number | void>): Promise<Round & { run: WriterRun }> {
  const from = await c.primary();
  const to = other(from);
  const run = startWriter(lab!, VIP, table, 120_000, 10, 200);
  writers.push(run);
  await waitFor('100 rows acknowledged', async () => run.acked.size >= 100, 30_000, 20);
  const t0 = Date.now();
  const extra = await fault(from, to);
  // After a power-off: the first row acknowledged on a connection opened after it (the new primary's).
  const first = await waitFor('the first row acknowledged after the fault', async () => (kind === 'switchover' ? firstAckAfter(run, t0 + 1) : firstAckOnNewConnection(run, t0)), 60_000, 10);
  await waitFor('50 more rows', async () => run.acked.size >= 150, 30_000, 20);
  await run.stop();
  // A power-off stops the old primary at t0: the first acknowledgement after it is the new primary's. A planned
  // switchover keeps the old primary answering for a while: there the clients' outage is the longest gap between
  // two acknowledgements after the request (the last one of the old primary → the first one of the new).
  const ms = kind === 'switchover' ? longestGapMs(run, t0).gap : first - t0;
  return { kind, from, to, ms, ...(typeof extra === 'number' ? { switchWaitMs: extra } : {}), run };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/replication needs root (lab namespaces, postgres as its user)');
  if (!existsSync(DAEMON)) throw new Error(`${DAEMON} is missing: npm run build first`);
  if (!existsSync(`${PG_BIN}/pg_rewind`)) throw new Error(`${PG_BIN}/pg_rewind is missing: install the Debian package postgresql-15`);
  const ids = postgresIds();
  say(`bench/replication: PostgreSQLReplication group in the two-node lab, ${ROUNDS} power-offs in synchronous mode, ${ROUNDS} in asynchronous mode, ${ROUNDS} planned switchovers; default settings`);

  lab = await createLab({ id: 'brepl' });
  const dataDir = join(lab.dir, 'pgdata');
  mkdirSync(dataDir, { recursive: true });
  const c = new Cluster(lab, dataDir);
  for (const n of NODES) makeDataDir(c.realDir(n));
  const rounds: Round[] = [];
  const lost: Record<string, number> = {};
  if (!opts['patroni-only']) {
    await initPgCluster(c.realDir('node1'), { trust: '10.213.0.0/24', replication: true, checksums: true });
    await writeEngineHomes(lab, NODES, mainJson(dataDir));
    await Promise.all(NODES.map((n) => c.startEngine(n)));
    await waitAllRunning(lab, NODES, 60_000, 200);
    const on = await rpc(c.home('node1'), 'grp.online', { group: GROUP, node: 'node1', wait: true, timeout: 120 }, 130_000);
    if (!on?.ok) throw new Error(`grp.online: ${JSON.stringify(on)}`);
    await c.standby('node2', true);
    say('group pg online on node1, node2 a synchronous standby (built by pg_basebackup)');

    for (const [mode, kind] of (opts['switchovers-only'] ? [] : [['on', 'failover-sync'], ['off', 'failover-async']]) as (readonly ['on' | 'off', 'failover-sync' | 'failover-async'])[]) {
      const p = await c.primary();
      await rpc(c.home(p), 'res.modify', { resource: RES, attributes: { SyncMode: mode } });
      let lostCount = 0;
      for (let i = 0; i < ROUNDS; i++) {
        await c.standby(other(await c.primary()), mode === 'on');
        const table = `t_${mode}_${i}`;
        await psqlClient(`CREATE TABLE ${table} (n integer PRIMARY KEY)`);
        const r = await writerRound(c, table, kind, async (from) => {
          await powerOff(lab!, from);
        });
        rounds.push({ kind, from: r.from, to: r.to, ms: r.ms });
        const found = (await psqlClient(`SELECT n FROM ${table}`)).split('\n').filter(Boolean).map(Number);
        const l = lostRows(r.run, found);
        lostCount += l.lost.length;
        say(`  power-off ${i + 1} (SyncMode ${mode}): ${r.from} → ${r.to}: first write acknowledged on the new primary after ${sec(r.ms)}; ${l.summary}`);
        await powerOn(lab!, r.from);
        await c.startEngine(r.from);
      }
      lost[mode] = lostCount;
      say(`  SyncMode ${mode}: ${lostCount} acknowledged rows lost over ${ROUNDS} power-offs`);
    }

    await c.standby(other(await c.primary()), false);
    {
      const p = await c.primary();
      await rpc(c.home(p), 'res.modify', { resource: RES, attributes: { SyncMode: 'on' } });
    }
    for (let i = 0; i < ROUNDS; i++) {
      await c.standby(other(await c.primary()), true);
      await psqlClient(`CREATE TABLE t_switch_${i} (n integer PRIMARY KEY)`);
      const r = await writerRound(c, `t_switch_${i}`, 'switchover', async (from, to) => {
        const t = performance.now();
        const res = await rpc(c.home(from), 'grp.switch', { group: GROUP, node: to, wait: true, timeout: 120 }, 130_000);
        if (!res?.ok) throw new Error(`grp.switch: ${JSON.stringify(res)}`);
        return performance.now() - t;
      });
      rounds.push({ kind: 'switchover', from: r.from, to: r.to, ms: r.ms, switchWaitMs: r.switchWaitMs });
      say(`  switchover ${i + 1}: ${r.from} → ${r.to}: writes stopped for ${sec(r.ms)} (last row on the old primary → first on the new; grp.switch --wait ${sec(r.switchWaitMs)})`);
    }
  }

  // Patroni in the same lab, when it can be set up (the mccs engines and servers are powered off first).
  let patroni: PatroniFigures | string;
  if (opts['no-patroni'] || opts['switchovers-only']) patroni = `not measured: ${opts['no-patroni'] ? '--no-patroni' : '--switchovers-only'}`;
  else if (!existsSync('/usr/bin/patroni')) patroni = 'not measured: the Debian package patroni is not installed on this machine (apt-get install patroni)';
  else if (!existsSync('/usr/bin/etcd')) patroni = 'not measured: etcd is not installed on this machine (apt-get install etcd-server)';
  else {
    say('');
    say(`Patroni in the same lab: ${ROUNDS} power-offs of the leader and ${ROUNDS} switchovers at its defaults, then at the tightest legal tuning`);
    patroni = await measurePatroni(lab, ROUNDS, ids, say, writers);
  }

  const of = (k: Round['kind']) => rounds.filter((r) => r.kind === k);
  const result = {
    rounds: ROUNDS,
    settings: 'defaults (HBInterval 1000 ms, HBTimeout 1000 ms; PostgreSQLReplication SyncMode on / off, MonitorInterval 1 s); writer: a row every 10 ms, connect timeout 200 ms',
    failoverSyncMs: median(of('failover-sync').map((r) => r.ms)),
    failoverAsyncMs: median(of('failover-async').map((r) => r.ms)),
    switchoverMs: median(of('switchover').map((r) => r.ms)),
    switchoverWaitMs: median(of('switchover').map((r) => r.switchWaitMs ?? NaN)),
    samples: Object.fromEntries((['failover-sync', 'failover-async', 'switchover'] as const).map((k) => [k, of(k).map((r) => Math.round(r.ms))])),
    rowsLost: lost,
    patroni: typeof patroni === 'string' ? { notMeasured: patroni } : {
      version: patroni.version,
      ...(patroni.error ? { error: patroni.error } : {}),
      ...Object.fromEntries(Object.entries(patroni.results).map(([k, r]) => [k, { failoverMs: median(r.failoverMs), switchoverMs: median(r.switchoverMs), switchoverCtlMs: median(r.switchoverCtlMs), rowsLost: r.lost, samples: { failover: r.failoverMs.map(Math.round), switchover: r.switchoverMs.map(Math.round) } }])),
    },
  };
  const pat = (setting: string, k: 'failoverMs' | 'switchoverMs'): string => {
    if (typeof patroni === 'string') return 'not measured';
    const r = patroni.results[setting];
    return r && r[k].length > 0 ? `${sec(median(r[k]))}${r[k].length < ROUNDS ? ` (${r[k].length} of ${ROUNDS})` : ''}` : 'not measured';
  };
  say('');
  say(`| median of ${ROUNDS}, same run | mccs (defaults) | target | Patroni defaults (ttl 30, loop_wait 10, retry_timeout 10) | Patroni tuned (7 / 1 / 3) |`);
  say('|---|---:|---:|---:|---:|');
  say(`| power-off → first write on the new primary, synchronous | ${sec(result.failoverSyncMs)} | ≤ 2.00 s | — (Patroni runs asynchronous) | — |`);
  say(`| power-off → first write on the new primary, asynchronous | ${sec(result.failoverAsyncMs)} | ≤ 2.00 s | ${pat('default', 'failoverMs')} | ${pat('tuned', 'failoverMs')} |`);
  say(`| planned switchover: writes stopped (last row on the old primary → first on the new) | ${sec(result.switchoverMs)} (grp.switch --wait ${sec(result.switchoverWaitMs)}) | ≤ 0.50 s | ${pat('default', 'switchoverMs')} | ${pat('tuned', 'switchoverMs')} |`);
  say(`Acknowledged rows lost: mccs synchronous ${lost.on}, asynchronous ${lost.off}${typeof patroni === 'string' ? '' : `; Patroni (asynchronous) ${Object.entries(patroni.results).map(([k, r]) => `${k} ${r.lost}`).join(', ')}`}. Samples (ms): ${JSON.stringify(result.samples)}`);
  if (typeof patroni === 'string') say(`Patroni: ${patroni}`);
  else {
    say(`Patroni: ${patroni.version}, etcd 3.4 in the lab namespace; clients given both nodes' addresses (no VIP to move); samples (ms): ${JSON.stringify(result.patroni)}`);
    if (patroni.error) say(`Patroni: not every round could be measured: ${patroni.error}`);
  }
  const failoverMet = opts['switchovers-only'] || ((result.failoverSyncMs ?? Infinity) <= 2000 && (result.failoverAsyncMs ?? Infinity) <= 2000 && lost.on === 0);
  const met = failoverMet && (result.switchoverMs ?? Infinity) <= 500;
  say(met ? 'PASS: every target met' : 'MISS: a target was missed (see above)');
  process.stdout.write(`${opts['json-only'] ? '' : '\n'}${JSON.stringify({ ...result, targetMet: met })}\n`);
  if (!met) process.exitCode = 1;
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench/replication: ${(e as Error).stack ?? (e as Error).message}\n`);
  if (lab) for (const n of NODES) {
    const f = join(lab.nodes[n].home, 'log/engine.log');
    if (existsSync(f)) process.stderr.write(`----- ${n} engine log (last lines)\n${readFileSync(f, 'utf8').split('\n').slice(-25).join('\n')}\n`);
  }
  process.exitCode = 2;
} finally {
  await cleanup();
}
