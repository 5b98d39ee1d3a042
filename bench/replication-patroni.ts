// Patroni in the replication benchmark's lab (bench/README.md, "## replication"):
// the comparison of issue 12, measured in the same run and the same kind of
// lab as mccs. Debian's patroni 3.0.2 runs as postgres in each node's
// namespaces (so a power-off of the node kills it with its PostgreSQL 15),
// with Debian's etcd 3.4 in the lab namespace (10.213.0.254:2379, the etcd3
// API). There is no VIP: the writer in the client namespace is given both
// nodes' addresses and moves to the other one after a failed connection or a
// refused INSERT (a standby answers "read-only transaction"), as a client with
// target_session_attrs=read-write does; that costs Patroni no address move.
// Patroni runs in its default asynchronous mode.
//
// Two settings, each with N power-offs of the leader (→ the first row
// acknowledged by the new leader) and N planned switchovers
// (`patronictl switchover --force`, the writer's outage):
//   - default: ttl 30, loop_wait 10, retry_timeout 10;
//   - tuned, the tightest legal values: ttl 7, loop_wait 1, retry_timeout 3
//     (Patroni requires ttl >= loop_wait + 2 * retry_timeout).
// Every wait is bounded. Patroni, its PostgreSQL and etcd die with the lab
// (node inits and lab.spawned, by PID); their data directories are under the
// lab's directory, removed with it.
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, waitFor } from '../test/lab/exec.js';
import { startEtcd, ETCD_PORT } from '../test/lab/etcd.js';
import { bootNode, execInClient, execInNs, powerOff, powerOn, spawnInNode, GATEWAY, type Lab, type NodeName } from '../test/lab/lab.js';
import { asPostgres, makeSocketDir, PG_BIN } from '../test/lab/pg-cluster.js';
import { firstAckAfter, firstAckOnNewConnection, longestGapMs, lostRows, startWriter, type WriterRun } from '../test/lab/pg-writer-run.js';

const NODES: NodeName[] = ['node1', 'node2'];
const SCOPE = 'mccsbench';
const addr = (n: NodeName): string => `10.213.0.${n === 'node1' ? 1 : 2}`;
const other = (n: NodeName): NodeName => (n === 'node1' ? 'node2' : 'node1');

export interface PatroniSetting { name: 'default' | 'tuned'; ttl: number; loopWait: number; retryTimeout: number }
export const PATRONI_SETTINGS: PatroniSetting[] = [
  { name: 'default', ttl: 30, loopWait: 10, retryTimeout: 10 },
  { name: 'tuned', ttl: 7, loopWait: 1, retryTimeout: 3 },
];

export interface PatroniFigures {
  version: string;
  /** Per setting: power-off → first acknowledged row (ms), switchover outage (ms), patronictl's own duration (ms), rows lost. */
  results: Record<string, { failoverMs: number[]; switchoverMs: number[]; switchoverCtlMs: number[]; lost: number }>;
  /** Set when a part could not be measured (what was measured so far is kept). */
  error?: string;
}

interface Ctx { lab: Lab; ids: { uid: number; gid: number }; say: (s: string) => void; writers: WriterRun[]; base: string }


/** GET on a member's REST API from the lab namespace: [HTTP status, body]. */
async function rest(lab: Lab, n: NodeName, path: string): Promise<[number, string]> {
  const r = await execInNs(lab.labNs, 'curl', ['-s', '-m', '1', '-o', '-', '-w', '\n%{http_code}', `http://${addr(n)}:8008${path}`], { timeoutMs: 3000 });
  const lines = r.stdout.trimEnd().split('\n');
  return [Number(lines.pop() ?? 0), lines.join('\n')];
}

async function leader(lab: Lab): Promise<NodeName | undefined> {
  const up = await Promise.all(NODES.map(async (n) => ((await rest(lab, n, '/leader').catch(() => [0, ''] as [number, string]))[0] === 200 ? n : undefined)));
  const on = up.filter((x): x is NodeName => x !== undefined);
  return on.length === 1 ? on[0] : undefined;
}

async function psqlAt(lab: Lab, host: string, sql: string): Promise<string> {
  const r = await execInClient(lab, `${PG_BIN}/psql`, ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-c', sql], { timeoutMs: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '3' } });
  if (r.exitCode !== 0) throw new Error(`psql on ${host}: ${sql}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** One leader, and the other node a replica streaming from it. */
async function whole(x: Ctx, limitMs: number): Promise<NodeName> {
  return waitFor('the Patroni cluster to be whole (a leader, the other node a streaming replica)', async () => {
    const l = await leader(x.lab);
    if (!l) return false;
    const [code] = await rest(x.lab, other(l), '/replica');
    if (code !== 200) return false;
    const streaming = Number(await psqlAt(x.lab, addr(l), "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"));
    return streaming >= 1 ? l : false;
  }, limitMs, 250);
}

function patroniConfig(x: Ctx, n: NodeName, s: PatroniSetting): string {
  const dir = join(x.lab.nodes[n].dir, 'patroni');
  const cfg = {
    scope: SCOPE,
    namespace: '/mccs-bench/',
    name: n,
    restapi: { listen: `${addr(n)}:8008`, connect_address: `${addr(n)}:8008` },
    etcd3: { hosts: [`${GATEWAY.ipv4}:${ETCD_PORT}`] },
    bootstrap: {
      dcs: {
        ttl: s.ttl, loop_wait: s.loopWait, retry_timeout: s.retryTimeout, maximum_lag_on_failover: 1048576,
        postgresql: { use_pg_rewind: true, parameters: { wal_keep_size: '512MB', hot_standby: 'on' } },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, 'data-checksums'],
      pg_hba: ['local all all trust', 'host all all 10.213.0.0/24 trust', 'host replication all 10.213.0.0/24 trust'],
    },
    postgresql: {
      listen: '0.0.0.0:5432',
      connect_address: `${addr(n)}:5432`,
      data_dir: join(dir, 'data'),
      bin_dir: PG_BIN,
      pgpass: join(dir, 'pgpass'),
      authentication: { superuser: { username: 'postgres' }, replication: { username: 'postgres' }, rewind: { username: 'postgres' } },
      parameters: { unix_socket_directories: '/run/postgresql' },
    },
  };
  // JSON is YAML: Patroni reads it as its configuration file.
  const file = join(dir, 'patroni.yml');
  writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`);
  chownSync(file, x.ids.uid, x.ids.gid);
  return file;
}

/** Boots the node (its own /run, with /run/postgresql for the socket) and starts Patroni there as postgres. */
async function startPatroni(x: Ctx, n: NodeName, s: PatroniSetting): Promise<void> {
  await bootNode(x.lab, n);
  makeSocketDir(x.lab.nodes[n].run);
  const file = patroniConfig(x, n, s);
  const dir = join(x.lab.nodes[n].dir, 'patroni');
  await spawnInNode(x.lab, n, {
    command: 'setpriv',
    args: [...asPostgres(), '/usr/bin/patroni', file],
    env: { HOME: dir, PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' },
  });
}

async function patronictl(x: Ctx, args: string[], timeoutMs = 60_000): Promise<string> {
  const r = await execInNs(x.lab.labNs, 'patronictl', ['-c', join(x.base, 'ctl.yml'), ...args], { timeoutMs, env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' } });
  if (r.exitCode !== 0) throw new Error(`patronictl ${args.join(' ')}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ')}`);
  return r.stdout;
}

/** A writer round through both nodes' addresses: `fault` at t0; returns the first ack after t0, the outage and the rows lost. */
async function writerRound(x: Ctx, table: string, fault: (from: NodeName) => Promise<number | void>, kind: 'failover' | 'switchover', limitMs: number): Promise<{ from: NodeName; ms: number; ctlMs?: number; lost: number; summary: string }> {
  const from = await waitFor('the leader', () => leader(x.lab), 30_000, 200);
  await psqlAt(x.lab, addr(from), `CREATE TABLE ${table} (n integer PRIMARY KEY)`);
  const run = startWriter(x.lab, `${addr(from)},${addr(other(from))}`, table, limitMs + 60_000, 10, 200);
  x.writers.push(run);
  try {
    await waitFor('100 rows acknowledged', async () => run.acked.size >= 100, 30_000, 20);
    const t0 = Date.now();
    const ctl = await fault(from);
    const first = await waitFor('the first row acknowledged by the new leader', async () => (kind === 'failover' ? firstAckOnNewConnection(run, t0) : firstAckAfter(run, t0 + 1)), limitMs, 10);
    const acked = run.acked.size;
    await waitFor('50 more rows', async () => run.acked.size >= acked + 50, 30_000, 20);
    await run.stop();
    const ms = kind === 'switchover' ? longestGapMs(run, t0).gap : first - t0;
    const to = await waitFor('the new leader', () => leader(x.lab), 30_000, 200);
    const found = (await psqlAt(x.lab, addr(to), `SELECT n FROM ${table}`)).split('\n').filter(Boolean).map(Number);
    const l = lostRows(run, found);
    return { from, ms, ...(typeof ctl === 'number' ? { ctlMs: ctl } : {}), lost: l.lost.length, summary: l.summary };
  } finally {
    await run.stop();
  }
}

/**
 * Power both nodes off (whatever ran there before is gone), start etcd and a
 * Patroni per node, and measure. Never throws: a part that cannot be measured
 * ends the section with `error` set and the figures measured so far.
 */
export async function measurePatroni(lab: Lab, rounds: number, ids: { uid: number; gid: number }, say: (s: string) => void, writers: WriterRun[]): Promise<PatroniFigures> {
  const fig: PatroniFigures = { version: '', results: {} };
  const x: Ctx = { lab, ids, say, writers, base: join(lab.dir, 'patroni') };
  try {
    const v = await execInNs(lab.labNs, 'patroni', ['--version'], { timeoutMs: 20_000 });
    fig.version = (v.stdout.trim() || v.stderr.trim()).split('\n')[0] ?? '';
    for (const n of NODES) await powerOff(lab, n);
    for (const n of NODES) await powerOn(lab, n);
    mkdirSync(x.base, { recursive: true });
    writeFileSync(join(x.base, 'ctl.yml'), `${JSON.stringify({ scope: SCOPE, namespace: '/mccs-bench/', etcd3: { hosts: [`${GATEWAY.ipv4}:${ETCD_PORT}`] } })}\n`);
    for (const n of NODES) {
      const dir = join(lab.nodes[n].dir, 'patroni');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chownSync(dir, ids.uid, ids.gid);
    }
    await startEtcd(lab);
    const first = PATRONI_SETTINGS[0]!;
    // node1 first: it bootstraps the cluster (initdb) and leads; node2 then joins as a replica (pg_basebackup).
    await startPatroni(x, 'node1', first);
    await waitFor('node1 to lead', async () => (await leader(lab)) === 'node1', 120_000, 500);
    await startPatroni(x, 'node2', first);
    await whole(x, 180_000);
    say(`Patroni (${fig.version}) with etcd 3.4: node1 leads, node2 streams from it`);
    let current = first;
    for (const s of PATRONI_SETTINGS) {
      if (s !== current) {
        await patronictl(x, ['edit-config', '--force', '-s', `ttl=${s.ttl}`, '-s', `loop_wait=${s.loopWait}`, '-s', `retry_timeout=${s.retryTimeout}`, SCOPE]);
        // Each member takes the new values at the end of its current loop (at most the old loop_wait).
        await sleep(2 * current.loopWait * 1000 + 2000);
        current = s;
      }
      const res = { failoverMs: [] as number[], switchoverMs: [] as number[], switchoverCtlMs: [] as number[], lost: 0 };
      fig.results[s.name] = res;
      const limit = (s.ttl + 3 * s.loopWait + 30) * 1000;
      for (let i = 0; i < rounds; i++) {
        await whole(x, 180_000);
        const r = await writerRound(x, `p_${s.name}_f${i}`, async (from) => powerOff(lab, from), 'failover', limit);
        res.failoverMs.push(r.ms);
        res.lost += r.lost;
        say(`  Patroni ${s.name}: power-off ${i + 1}: ${r.from} → ${other(r.from)}: first write acknowledged on the new leader after ${(r.ms / 1000).toFixed(2)} s; ${r.summary}`);
        await powerOn(lab, r.from);
        await startPatroni(x, r.from, s);
      }
      for (let i = 0; i < rounds; i++) {
        await whole(x, 180_000);
        const r = await writerRound(x, `p_${s.name}_s${i}`, async (from) => {
          const t = performance.now();
          await patronictl(x, ['switchover', '--force', '--leader', from, '--candidate', other(from), SCOPE]);
          return performance.now() - t;
        }, 'switchover', limit);
        res.switchoverMs.push(r.ms);
        res.switchoverCtlMs.push(r.ctlMs ?? NaN);
        res.lost += r.lost;
        say(`  Patroni ${s.name}: switchover ${i + 1}: ${r.from} → ${other(r.from)}: writes stopped for ${(r.ms / 1000).toFixed(2)} s (patronictl switchover ${((r.ctlMs ?? NaN) / 1000).toFixed(2)} s); ${r.summary}`);
      }
    }
  } catch (e) {
    fig.error = (e as Error).message;
    say(`  Patroni: stopped measuring: ${fig.error}`);
  }
  return fig;
}
