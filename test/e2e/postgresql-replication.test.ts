// PostgreSQL streaming replication in the two-node lab, with the engine:
//   NIC(eth0) ← IP(10.213.0.100/24) ← PostgreSQLReplication
// Each node has its own data directory (bind-mounted in its own mount
// namespace on the same path), its own PostgreSQL 15 server (real, run as
// the postgres user), listening on its lab address. node1 is initdb'd once;
// node2's empty data directory is filled by the agent (pg_basebackup).
//
// A writer in the client namespace inserts a numbered row through the VIP
// every 10 ms; a row counts as acknowledged only once its COMMIT answered.
// Cases: planned switch, power-off of the primary, kill of the postmaster,
// each with 0 acknowledged rows lost in synchronous mode and the old primary
// coming back by itself as a standby (pg_rewind where needed); and a lagging
// standby in asynchronous mode that is not promoted until the operator forces
// it. Root only. Cleanup, also on failure: the lab is destroyed (both nodes'
// servers die with their PID namespaces), then the data directories removed.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { ClusterLab, IS_ROOT, NODE_NAMES, VIP4, type NodeName } from '../helpers/cluster-lab.js';
import { firstAckAfter, longestGapMs, lostRows, startWriter, type WriterRun } from '../lab/pg-writer-run.js';
import { signal } from '../lab/exec.js';
import { bootNode, execInClient, execInNode, nodePids } from '../lab/lab.js';
import { asPostgres, initPgCluster, makeDataDir, makeSocketDir, PG_BIN, PG_ENV } from '../lab/pg-cluster.js';
import { hasUser } from '../helpers/os-users.js';

const GROUP = 'pg';
const RES = { nic: 'pg-nic', ip: 'pg-ip', db: 'pg-db' } as const;
const other = (n: NodeName): NodeName => (n === 'node1' ? 'node2' : 'node1');

function skipReason(): string | undefined {
  if (!IS_ROOT) return 'needs root (lab namespaces, running postgres as its user)';
  if (!existsSync(`${PG_BIN}/pg_rewind`)) return `${PG_BIN}/pg_rewind missing (Debian package postgresql-15)`;
  if (!hasUser('postgres')) return 'no postgres OS user';
  return undefined;
}
const SKIP = skipReason();
if (SKIP) console.log(`postgresql-replication.test: skipped: ${SKIP}`);


describe.skipIf(SKIP !== undefined)('PostgreSQL streaming replication in the two-node lab', () => {
  let cl: ClusterLab | undefined;
  let dataDir = '';
  const writers: WriterRun[] = [];

  const config = (): MainConfig => ({
    ConfigVersion: 1,
    Cluster: { ClusterName: 'pgrep' },
    Nodes: NODE_NAMES.map((n, i) => ({ NodeName: n, PrimaryHB: `10.213.0.${i + 1}`, SecondaryHB: `10.213.1.${i + 1}`, IsolationTestAddresses: '10.213.0.254' })),
    Types: { PostgreSQLReplication: { MonitorInterval: 1, OfflineMonitorInterval: 1 } },
    Groups: [{
      GroupName: GROUP,
      GroupType: 'FAILOVER',
      NodeList: ['node1', 'node2'],
      AutoStart: false,
      Resources: [
        { ResName: RES.nic, Type: 'NIC', Device: 'eth0' },
        { ResName: RES.ip, Type: 'IP', NICResName: RES.nic, Address: VIP4, Prefix: 24, Critical: true },
        { ResName: RES.db, Type: 'PostgreSQLReplication', DataDir: dataDir || '/nonexistent', Port: 5432, SocketDir: '/run/postgresql', OsUser: 'postgres', ReplicationHosts: 'node1=10.213.0.1,node2=10.213.0.2', SyncMode: 'on', Critical: true },
      ],
      Dependencies: [
        { Parent: RES.ip, Child: RES.nic },
        { Parent: RES.db, Child: RES.ip },
      ],
    }],
  } as unknown as MainConfig);

  const realDir = (n: NodeName) => join(cl!.lab.nodes[n].dir, 'pgdata');

  /** Boot: the node's own /run/postgresql, and its own data directory bind-mounted on the common DataDir path. */
  async function bootWithPg(n: NodeName): Promise<void> {
    const lab = cl!.lab;
    await bootNode(lab, n);
    makeSocketDir(lab.nodes[n].run);
    const r = await execInNode(lab, n, 'mount', ['--bind', realDir(n), dataDir]);
    if (r.exitCode !== 0) throw new Error(`bind mount on ${n}: ${r.stderr}`);
  }

  async function psqlClient(sql: string): Promise<string> {
    const r = await execInClient(cl!.lab, `${PG_BIN}/psql`, ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', VIP4, '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-c', sql],
      { timeoutMs: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } });
    if (r.exitCode !== 0) throw new Error(`psql through the VIP: ${sql}: ${r.stderr || r.stdout}`);
    return r.stdout.trim();
  }

  /** psql on a node's own server (its socket), as postgres. */
  async function psqlOn(n: NodeName, sql: string): Promise<string> {
    const r = await execInNode(cl!.lab, n, 'setpriv', [...asPostgres(), `${PG_BIN}/psql`, '-X', '-A', '-t', '-q', '-h', '/run/postgresql', '-p', '5432', '-d', 'postgres', '-c', sql],
      { timeoutMs: 20_000, env: PG_ENV });
    if (r.exitCode !== 0) throw new Error(`psql on ${n}: ${sql}: ${r.stderr || r.stdout}`);
    return r.stdout.trim();
  }

  async function primaryNode(): Promise<NodeName> {
    const states = await cl!.groupStates('node1', GROUP).catch(() => cl!.groupStates('node2', GROUP));
    const on = NODE_NAMES.filter((n) => states[n] === 'ONLINE');
    if (on.length !== 1) throw new Error(`group online on ${on.join(', ') || 'no node'}`);
    return on[0]!;
  }

  /** The standby on `n` streams from the primary (and, in sync mode, is synchronous), as the engine reports it. */
  async function waitStandby(n: NodeName, sync = true, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return cl!.waitFor(`${n} to be a streaming${sync ? ' synchronous' : ''} standby`, async () => {
      const rows = await cl!.call<{ node: string; state: string; details?: Record<string, unknown> }[]>(n, 'res.state', { resource: RES.db });
      const d = rows.find((r) => r.node === n)?.details;
      return d?.role === 'standby' && d.receiver === 'streaming' && (!sync || d.sync === 'sync') ? d : undefined;
    }, timeoutMs, 250);
  }

  async function check(table: string, run: WriterRun, label: string): Promise<void> {
    const found = (await psqlClient(`SELECT n FROM ${table} ORDER BY n`)).split('\n').filter(Boolean).map(Number);
    const { lost, unknown, summary } = lostRows(run, found);
    console.log(`${label}: ${summary}`);
    expect(lost, summary).toEqual([]);
    expect(unknown, summary).toEqual([]);
  }

  async function writerThrough(table: string, fault: () => Promise<void>, label: string): Promise<{ run: WriterRun; outageMs: number }> {
    await psqlClient(`CREATE TABLE IF NOT EXISTS ${table} (n integer PRIMARY KEY)`);
    const run = startWriter(cl!.lab, VIP4, table, 120_000);
    writers.push(run);
    await cl!.waitFor('200 acknowledged rows', () => run.acked.size >= 200, 30_000, 20);
    const before = run.acked.size;
    const t0 = Date.now();
    await fault();
    await cl!.waitFor('200 more rows acknowledged after the fault', () => {
      if (run.child.exitCode !== null) throw new Error(`writer exited: ${run.failures.join('; ')}`);
      return run.acked.size >= before + 200;
    }, 60_000, 20);
    await run.stop();
    const first = firstAckAfter(run, t0 + 1);
    const gap = longestGapMs(run, t0);
    console.log(`${label}: writes resumed ${first !== undefined ? `${((first - t0) / 1000).toFixed(2)} s` : '?'} after the fault; longest gap ${(gap.gap / 1000).toFixed(2)} s`);
    await check(table, run, label);
    return { run, outageMs: gap.gap };
  }

  beforeAll(async () => {
    cl = await ClusterLab.create('pgrep', () => config());
    dataDir = join(cl.lab.dir, 'pgdata');
    mkdirSync(dataDir, { recursive: true });
    for (const n of NODE_NAMES) cl.writeConfig(n, config());
    // node1: initdb with data checksums (pg_rewind needs them); node2 stays empty (pg_basebackup by the agent).
    makeDataDir(realDir('node2'));
    await initPgCluster(realDir('node1'), { trust: '10.213.0.0/24', replication: true, checksums: true });
    for (const n of NODE_NAMES) await bootWithPg(n);
    await cl.startBoth('running');
    const r = await cl.rpc('node1', 'grp.online', { group: GROUP, node: 'node1', wait: true, timeout: 120 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    await cl.waitFor('PostgreSQL to answer through the VIP', () => psqlClient('SELECT 1').then((s) => s === '1').catch(() => false), 30_000, 200);
    // node2's monitor builds its standby with pg_basebackup and starts it; node1's monitor makes it synchronous.
    const d = await waitStandby('node2', true, 120_000);
    console.log(`node2 standby: ${JSON.stringify(d)}`);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump(80)}`);
  });

  afterAll(async () => {
    for (const w of writers) if (w.child.exitCode === null && w.child.pid) w.child.kill('SIGKILL');
    await cl?.destroy();
  }, 60_000);

  it('mcres state --json shows the replication state of both nodes', async () => {
    // The primary's monitor reports the standby synchronous once it has named it (next monitor after it streamed).
    const rows = await cl!.waitFor('the primary to report node2 synchronous', async () => {
      const rs = await cl!.call<{ node: string; state: string; reason?: string; details?: { standbys?: { sync?: string }[] } }[]>('node1', 'res.state', { resource: RES.db });
      return rs.find((r) => r.node === 'node1')?.details?.standbys?.[0]?.sync === 'sync' ? rs : undefined;
    }, 15_000, 250);
    const p = rows.find((r) => r.node === 'node1')!;
    expect(p.state).toBe('ONLINE');
    expect(p.details).toMatchObject({ role: 'primary', timeline: expect.any(Number), standbys: [expect.objectContaining({ node: 'node2', state: 'streaming', sync: 'sync' })] });
    expect(p.reason).toMatch(/^primary, timeline \d+, standby node2 streaming sync/);
    const s = rows.find((r) => r.node === 'node2')!;
    expect(s.state).toBe('OFFLINE');
    expect(s.details).toMatchObject({ role: 'standby', upstream: '10.213.0.1', sync: 'sync', lagBytes: expect.any(Number) });
  });

  it('planned switch with a writer through the VIP: 0 acknowledged rows lost; the old primary follows the new one by itself', async () => {
    const from = await primaryNode();
    const to = other(from);
    let switchMs = 0;
    await writerThrough('t_switch', async () => {
      const t = performance.now();
      const r = await cl!.rpc(from, 'grp.switch', { group: GROUP, node: to, wait: true, timeout: 120 });
      switchMs = performance.now() - t;
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }, 'planned switch');
    console.log(`planned switch ${from} → ${to}: grp.switch --wait returned after ${(switchMs / 1000).toFixed(2)} s`);
    expect(await psqlOn(to, 'select pg_is_in_recovery()')).toBe('f');
    const d = await waitStandby(from);
    expect(d.upstream).toBe(to === 'node1' ? '10.213.0.1' : '10.213.0.2');
  }, 240_000);

  it('power-off of the primary (synchronous): the standby is promoted, 0 acknowledged rows lost; powered on again, the old primary returns as a standby', async () => {
    const from = await primaryNode();
    const to = other(from);
    const m = cl!.mark();
    await writerThrough('t_poweroff', async () => {
      await cl!.powerOff(from);
      const d = await cl!.waitEvent(to, m, /^DECISION_/, 15_000);
      expect(d.rule, d.message).toBe('DECISION_NODE_FAULT');
    }, 'power-off');
    expect(await psqlOn(to, 'select pg_is_in_recovery()')).toBe('f');
    await cl!.powerOn(from, false);
    await bootWithPg(from);
    await cl!.startEngine(from, 'running', 30_000);
    await cl!.waitGroup({ [to]: 'ONLINE', [from]: 'OFFLINE' } as Record<NodeName, 'ONLINE' | 'OFFLINE'>, { group: GROUP, timeoutMs: 60_000 });
    await waitStandby(from, true, 120_000);
    const log = readFileSync(join(cl!.home(from), 'log/engine.log'), 'utf8');
    expect(log).toMatch(/pg_rewind from node\d: pg_rewind: (no rewind required|Done!)/);
  }, 300_000);

  it('the postmaster of the primary is killed: failover to the standby, 0 acknowledged rows lost; the old primary returns as a standby', async () => {
    const from = await primaryNode();
    const to = other(from);
    const m = cl!.mark();
    await writerThrough('t_kill', async () => {
      // The postmaster: its command line is still the one pg_ctl started (children rename themselves "postgres: …").
      const pid = (await nodePids(cl!.lab, from)).find((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(`${PG_BIN}/postgres\0-D`);
        } catch {
          return false;
        }
      });
      expect(pid).toBeDefined();
      signal(pid!, 'SIGKILL');
      await cl!.waitEvent(to, m, /^(ONLINE_DONE)$/, 60_000);
    }, 'postmaster kill');
    await cl!.waitGroup({ [to]: 'ONLINE' } as Record<NodeName, 'ONLINE'>, { group: GROUP, viewers: [to], timeoutMs: 60_000 });
    // Its server runs again as a standby by itself; the resource stays FAULTED there (as every failed resource)
    // until cleared, which makes the node eligible for the group again.
    await waitStandby(from, true, 120_000);
    const rows = await cl!.call<{ node: string; state: string }[]>(to, 'res.state', { resource: RES.db });
    expect(rows.find((r) => r.node === from)?.state).toBe('FAULTED');
    await cl!.call(from, 'grp.clear', { group: GROUP, node: from });
    await cl!.waitGroup({ [to]: 'ONLINE', [from]: 'OFFLINE' } as Record<NodeName, 'ONLINE' | 'OFFLINE'>, { group: GROUP, timeoutMs: 30_000 });
  }, 300_000);

  it('asynchronous mode: a lagging standby is not promoted (status and event say why) until the operator forces it', async () => {
    const from = await primaryNode();
    const to = other(from);
    await cl!.call(from, 'res.modify', { resource: RES.db, attributes: { SyncMode: 'off', MaxLagOnFailover: '65536' } });
    await cl!.waitFor('synchronous replication off', async () => (await psqlOn(from, 'show synchronous_standby_names')) === '', 20_000, 250);
    await psqlOn(to, 'select pg_wal_replay_pause()');
    await psqlClient('CREATE TABLE t_lag AS SELECT generate_series(1, 200000) AS n');
    const lag = await cl!.waitFor('the standby to report its lag', async () => {
      const rows = await cl!.call<{ node: string; details?: { lagBytes?: number } }[]>(to, 'res.state', { resource: RES.db });
      const l = rows.find((r) => r.node === to)?.details?.lagBytes ?? 0;
      return l > 65536 ? l : undefined;
    }, 30_000, 250);
    console.log(`async: standby ${to} lags ${lag} bytes`);
    const m = cl!.mark();
    await cl!.powerOff(from);
    const failed = await cl!.waitEvent(to, m, 'ONLINE_FAILED', 30_000);
    expect(failed.message).toMatch(/not promoted: replay lag \d+ bytes behind the primary's last known WAL position exceeds MaxLagOnFailover 65536 \(SyncMode off\); to promote anyway: mcres modify pg-db ForcePromote true/);
    expect(await psqlOn(to, 'select pg_is_in_recovery()')).toBe('t');
    const states = await cl!.groupStates(to, GROUP);
    expect(states[to]).not.toBe('ONLINE');
    // The operator forces it.
    await cl!.call(to, 'res.modify', { resource: RES.db, attributes: { ForcePromote: 'true' } });
    await cl!.call(to, 'grp.clear', { group: GROUP, node: to });
    const r = await cl!.rpc(to, 'grp.online', { group: GROUP, node: to, wait: true, timeout: 120 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(await psqlOn(to, 'select pg_is_in_recovery()')).toBe('f');
    expect(Number(await psqlClient('select count(*) from t_lag'))).toBe(200000);
    await cl!.call(to, 'res.modify', { resource: RES.db, attributes: { ForcePromote: 'false', SyncMode: 'on' } });
    await cl!.powerOn(from, false);
    await bootWithPg(from);
    await cl!.startEngine(from, 'running', 30_000);
    await waitStandby(from, true, 120_000);
  }, 300_000);
});
