// PostgreSQLReplication on real PostgreSQL 15 (root: the servers run as the
// postgres OS user): two "nodes" on one host, each server bound to its own
// loopback address (127.0.0.11 and 127.0.0.12, same port), each with its own
// data directory and socket directory. Promotion, demotion, the old primary's
// return through pg_rewind, pg_basebackup of an empty standby, the refusals
// (two primaries, lag, synchronous state) and synchronous replication.
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lsnBytes, postgresqlReplicationAgent as agent, replicationRuntime, settled } from '../../src/engine/agents/postgresql-replication.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { tcpListeners } from '../../src/engine/agents/postgresql.js';
import { makeTestContext } from '../helpers/agent-contract.js';
import { hasUser } from '../helpers/os-users.js';
import { initPgCluster, PG_BIN, postgresIds } from '../lab/pg-cluster.js';
import { waitFor } from '../lab/wait.mjs';

const isRoot = process.getuid?.() === 0;
const pgUser = hasUser('postgres');
const SKIP = !isRoot ? 'needs root' : !existsSync(`${PG_BIN}/pg_rewind`) ? 'postgresql-15 missing' : !pgUser ? 'no postgres OS user' : undefined;
if (SKIP) console.log(`agent-postgresql-replication: skipped: ${SKIP}`);

// A port of its own: unit suites of other worktrees run this file at the same time on the same loopback addresses.
let PORT = 25071 + (process.pid % 800);
while (!SKIP && tcpListeners(PORT).length > 0) PORT += 1;
const ADDR = { node1: '127.0.0.11', node2: '127.0.0.12' } as const;
type N = keyof typeof ADDR;
const work = SKIP ? '/nonexistent' : mkdtempSync('/tmp/mccs-pgrepl-');
const dataDir = (n: N) => join(work, n, 'data');
const sockDir = (n: N) => join(work, n, 'sock');
const home = (n: N) => join(work, n, 'home');
const runner = new ExecRunner();

/** Every agent log line, printed when a case fails. */
const agentLog: string[] = [];
const ctx = (n: N, extra: Record<string, unknown> = {}, log?: string[]) =>
  makeTestContext({
    home: home(n),
    nodeName: n,
    resName: 'pgr',
    log: { push: (...m: string[]) => { log?.push(...m); agentLog.push(...m.map((x) => `${n}: ${x}`)); return 0; } } as unknown as string[],
    deadlineMs: 60_000,
    attrs: { DataDir: dataDir(n), Port: PORT, SocketDir: sockDir(n), OsUser: 'postgres', ReplicationHosts: `node1=${ADDR.node1},node2=${ADDR.node2}`, SyncMode: 'off', ...extra },
  });

async function psql(n: N, sql: string): Promise<string> {
  const r = await runner.run(`${PG_BIN}/psql`, ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', sockDir(n), '-p', String(PORT), '-d', 'postgres', '-c', sql], { user: 'postgres', cwd: '/', timeoutMs: 20_000 });
  if (r.exitCode !== 0) throw new Error(`psql on ${n}: ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

async function stopServer(n: N, mode = 'immediate'): Promise<void> {
  await runner.run(`${PG_BIN}/pg_ctl`, ['stop', '-w', '-m', mode, '-D', dataDir(n)], { user: 'postgres', cwd: '/', timeoutMs: 30_000 });
}

const until = <T>(what: string, f: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> => waitFor(what, f, ms, 100);

beforeAll(async () => {
  if (SKIP) return;
  const { uid, gid } = postgresIds();
  for (const n of ['node1', 'node2'] as N[]) {
    for (const d of [join(work, n), dataDir(n), sockDir(n), home(n)]) mkdirSync(d, { recursive: true, mode: 0o700 });
    for (const d of [dataDir(n), sockDir(n)]) chownSync(d, uid, gid);
  }
  const { chmodSync } = await import('node:fs');
  chmodSync(work, 0o755);
  for (const n of ['node1', 'node2'] as N[]) chmodSync(join(work, n), 0o755);
  // node1: a fresh cluster with data checksums (pg_rewind needs them or wal_log_hints); node2: an empty DataDir (pg_basebackup).
  // Each node listens on its own loopback address, from a file beside (not in) its data directory: base
  // backups and pg_rewind copy postgresql.conf, and '../listen.conf' is each node's own.
  await initPgCluster(dataDir('node1'), { trust: '127.0.0.0/8', replication: true, checksums: true, listen: "include_if_exists = '../listen.conf'" });
  for (const n of ['node1', 'node2'] as N[]) writeFileSync(join(work, n, 'listen.conf'), `listen_addresses = '${ADDR[n]}'\n`);
}, 120_000);

afterEach((c) => {
  if (c.task.result?.state === 'fail') console.log(`--- agent log ---\n${agentLog.slice(-40).join('\n')}`);
});

afterAll(async () => {
  if (SKIP) return;
  for (const n of ['node1', 'node2'] as N[]) {
    await settled(ctx(n)).catch(() => undefined);
    await stopServer(n);
  }
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('LSN arithmetic', () => {
  it('reads PostgreSQL LSNs as byte positions', () => {
    expect(lsnBytes('0/3000148')).toBe(0x3000148n);
    expect(lsnBytes('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(lsnBytes('nonsense')).toBeUndefined();
    expect(lsnBytes(null)).toBeUndefined();
  });
});

describe.skipIf(SKIP !== undefined)('PostgreSQLReplication, two servers on one host', () => {
  it('a cold start: node1 starts as the primary; node2 (empty) is built by pg_basebackup and follows it', async () => {
    await agent.online(ctx('node1'));
    expect(await psql('node1', 'select pg_is_in_recovery()')).toBe('f');
    expect(await agent.observe(ctx('node1'))).toMatchObject({ state: 'running', reason: expect.stringMatching(/^primary, timeline 1/) });
    // node2's monitor finds nothing running: it builds the standby (pg_basebackup) and starts it, in the background.
    const o = await agent.observe(ctx('node2'));
    expect(o).toMatchObject({ state: 'stopped', reason: expect.stringMatching(/not running.*starting it as a standby/) });
    await settled(ctx('node2'));
    expect(await psql('node2', 'select pg_is_in_recovery()')).toBe('t');
    await psql('node1', 'create table t (n int primary key)');
    await psql('node1', 'insert into t select generate_series(1, 100)');
    await until('node2 to replay the rows', async () => (await psql('node2', 'select count(*) from t')) === '100');
    const s2 = await agent.observe(ctx('node2'));
    expect(s2).toMatchObject({ state: 'stopped', reason: expect.stringMatching(/^standby, timeline 1, streaming from 127\.0\.0\.11/) });
    expect((s2 as { details?: Record<string, unknown> }).details).toMatchObject({ role: 'standby', timeline: 1, upstream: '127.0.0.11' });
    const s1 = await agent.observe(ctx('node1'));
    expect((s1 as { details?: Record<string, unknown> }).details).toMatchObject({ role: 'primary', standbys: [expect.objectContaining({ node: 'node2', state: 'streaming' })] });
  }, 120_000);

  it('never two primaries: node2 refuses to promote while node1 is a primary', async () => {
    await expect(agent.online(ctx('node2'))).rejects.toThrow(/not promoted: the server on node1 \(127\.0\.0\.11\) is a primary and accepts writes/);
    expect(await psql('node2', 'select pg_is_in_recovery()')).toBe('t');
  });

  it('planned switch: node1 demoted (fast shutdown), node2 promoted, node1 returns as a standby of node2 by itself', async () => {
    await psql('node1', 'insert into t values (101)');
    const t0 = performance.now();
    await agent.offline(ctx('node1'));
    const demoted = performance.now() - t0;
    await agent.online(ctx('node2'));
    const promoted = performance.now() - t0;
    console.log(`switch in the agent: demote ${demoted.toFixed(0)} ms, promote ${(promoted - demoted).toFixed(0)} ms`);
    expect(await psql('node2', 'select pg_is_in_recovery()')).toBe('f');
    expect(await psql('node2', 'select count(*) from t')).toBe('101');
    expect(replicationRuntime(ctx('node2')).primaryHere).toBe(true);
    await settled(ctx('node1'));
    expect(await psql('node1', 'select pg_is_in_recovery()')).toBe('t');
    await psql('node2', 'insert into t values (102)');
    await until('node1 to follow node2', async () => (await psql('node1', 'select count(*) from t')) === '102');
    expect(await agent.observe(ctx('node1'))).toMatchObject({ state: 'stopped', reason: expect.stringMatching(/^standby, timeline 2/) });
    expect(replicationRuntime(ctx('node1')).wasPrimary).toBe(false);
  }, 120_000);

  it('the primary crashes after writing what the standby never got: the old primary comes back through pg_rewind', async () => {
    // node1 stops following, node2 writes alone (node1 would lose those), then node2 crashes and node1 is promoted by force.
    await stopServer('node1', 'fast');
    await psql('node2', 'insert into t values (103)');
    await stopServer('node2', 'immediate');
    const log: string[] = [];
    await agent.clean(ctx('node2'));
    // node1's standby starts again by itself (its follow loop), is promoted: node2's row 103 is what a lagging standby loses.
    await agent.online(ctx('node1', { ForcePromote: true }, log));
    expect(await psql('node1', 'select pg_is_in_recovery()')).toBe('f');
    expect(await psql('node1', 'select count(*) from t where n = 103')).toBe('0');
    await psql('node1', 'insert into t values (104)');
    // node2 was a primary and diverged: pg_rewind, then it follows node1.
    const log2: string[] = [];
    await agent.observe(ctx('node2', {}, log2));
    await settled(ctx('node2'));
    await until('node2 to follow node1 after pg_rewind', async () => (await psql('node2', 'select count(*) from t where n in (103, 104)')) === '1');
    expect(await psql('node2', 'select n from t where n in (103, 104)')).toBe('104');
    expect(await psql('node2', 'select pg_is_in_recovery()')).toBe('t');
  }, 180_000);

  it('async: a standby whose replay lags more than MaxLagOnFailover is refused, with the reason; ForcePromote overrides', async () => {
    await psql('node2', 'select pg_wal_replay_pause()');
    await psql('node1', 'insert into t select generate_series(1000, 40000)');
    await until('node2 to see the lag', async () => {
      const o = await agent.observe(ctx('node2'));
      const lag = (o as { details?: { lagBytes?: number } }).details?.lagBytes ?? 0;
      return lag > 65536;
    });
    await stopServer('node1', 'immediate');
    await agent.clean(ctx('node1'));
    await expect(agent.online(ctx('node2', { MaxLagOnFailover: 65536 }))).rejects.toThrow(/not promoted: replay lag \d+ bytes behind the primary's last known WAL position exceeds MaxLagOnFailover 65536 \(SyncMode off\); to promote anyway: mcres modify pgr ForcePromote true/);
    expect(await psql('node2', 'select pg_is_in_recovery()')).toBe('t');
    await agent.online(ctx('node2', { MaxLagOnFailover: 65536, ForcePromote: true }));
    expect(await psql('node2', 'select pg_is_in_recovery()')).toBe('f');
    // Everything node2 had received was replayed at promotion.
    expect(Number(await psql('node2', 'select count(*) from t'))).toBeGreaterThan(30000);
    await agent.observe(ctx('node1'));
    await settled(ctx('node1'));
    await until('node1 back as a standby', async () => (await psql('node1', 'select pg_is_in_recovery()')) === 't');
  }, 180_000);

  it('synchronous: the primary names the streaming standby; strict keeps waiting for a gone standby, on drops it after SyncDropTimeout', async () => {
    await agent.observe(ctx('node2', { SyncMode: 'on', SyncDropTimeout: 2 }));
    await until('synchronous_standby_names = node1', async () => (await psql('node2', 'show synchronous_standby_names')) === '"node1"');
    await until('node1 sync', async () => (await psql('node2', "select sync_state from pg_stat_replication where application_name = 'node1'")) === 'sync');
    // The standby learns it is synchronous (what the failover check uses).
    const o = await agent.observe(ctx('node1', { SyncMode: 'on' }));
    expect((o as { details?: { sync?: string } }).details?.sync).toBe('sync');
    await stopServer('node1', 'fast');
    await agent.observe(ctx('node2', { SyncMode: 'on', SyncDropTimeout: 2 }));
    expect(await psql('node2', 'show synchronous_standby_names')).toBe('"node1"');
    await new Promise((r) => setTimeout(r, 2500));
    await agent.observe(ctx('node2', { SyncMode: 'on', SyncDropTimeout: 2 }));
    expect(await psql('node2', 'show synchronous_standby_names')).toBe('');
    await agent.observe(ctx('node2', { SyncMode: 'strict' }));
    expect(await psql('node2', 'show synchronous_standby_names')).toBe('"node1"');
    await agent.observe(ctx('node2', { SyncMode: 'off' }));
    expect(await psql('node2', 'show synchronous_standby_names')).toBe('');
  }, 120_000);
});
