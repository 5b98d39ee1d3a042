// PostgreSQLReplication: a PostgreSQL 15 primary/standby pair with streaming
// replication, one server per node, each on the node's own disk.
//
// How it fits a FAILOVER group: the resource is ONLINE where its server is
// the primary (the group's VIP goes with it). Everywhere else the agent keeps
// the server running as a standby that follows the primary; to the engine
// that is "cleanly stopped" (observe says stopped, with the replication state
// in the reason and details), so the group is OFFLINE there as usual. So:
// - online  = promote this node's standby (pg_ctl promote), after checking
//             that no other node's server is a primary (never two) and that
//             promoting loses nothing acknowledged (SyncMode, MaxLagOnFailover);
// - offline = demote: fast shutdown of the primary (its walsenders send the
//             last WAL to the standby first), then, in the background, start
//             it again as a standby of the new primary, with pg_rewind first
//             when it was a primary (pg_rewind says "no rewind required" when
//             the timelines did not diverge);
// - clean   = immediate stop, then the same background return as a standby.
// A node whose server is not running and is not the primary starts it as a
// standby on the next observe (after a crash, a reboot, or pg_basebackup when
// DataDir is empty). Synchronous replication is managed by the primary's
// monitor (SyncMode): synchronous_standby_names names the standby's node.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { writeDurable } from '../../model/durable-file.js';
import { homePaths } from '../../model/home.js';
import { attrBool, attrInt, attrString } from './toolkit/attributes.js';
import { budget, sleep } from './toolkit/budget.js';
import { checkDataDir, isClusterProcess, logFile, logTail, pgConfig, pgStart, pgStop, pgTool, pmStatus, postgresqlAttributes, postmasterPid, stopAll, type PgConfig } from './postgresql.js';

const NODE = '[A-Za-z][A-Za-z0-9_.-]{0,62}';
const ADDR = '[0-9A-Fa-f.:]+';

const attributes: AttributeDeclaration[] = [
  ...postgresqlAttributes,
  { name: 'ReplicationHosts', kind: 'string', required: true, editable: true, pattern: `^${NODE}=${ADDR}(,${NODE}=${ADDR})*$`, description: 'Where each node\'s server is reached by the other nodes for replication and pg_rewind: NODE=ADDRESS,NODE=ADDRESS (e.g. node1=10.0.0.1,node2=10.0.0.2), one entry per node of the group.' },
  { name: 'ReplicationUser', kind: 'string', default: 'postgres', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', editable: true, description: 'Role the standby streams as and pg_rewind connects as (REPLICATION; superuser or the grants pg_rewind documents); its password, if any, in ~OsUser/.pgpass.' },
  { name: 'SyncMode', kind: 'enum', values: ['off', 'on', 'strict'], default: 'on', editable: true, description: 'off: asynchronous replication. on: synchronous (synchronous_standby_names = the standby) while the standby streams; after it is gone for SyncDropTimeout the primary stops waiting for it (writes go on, unprotected) and the standby is not promoted automatically unless it was synchronous then. strict: writes always wait for the standby, even when it is gone (no acknowledged transaction can be lost, writes block).' },
  { name: 'SyncDropTimeout', kind: 'integer', default: 10, minimum: 1, maximum: 3600, unit: 's', editable: true, description: 'SyncMode on: how long the primary keeps waiting for a standby that is gone before it drops synchronous replication.' },
  { name: 'MaxLagOnFailover', kind: 'integer', default: 1048576, minimum: 0, unit: 'bytes', editable: true, description: 'SyncMode off: a standby whose replay lags the primary\'s last known WAL position by more than this is not promoted automatically (status and event say why); set ForcePromote to promote it anyway.' },
  { name: 'ForcePromote', kind: 'boolean', default: false, editable: true, description: 'Promote even when the lag or synchronous-state checks refuse it (what the old primary had and the standby did not is lost). Set it, bring the group online, then set it back.' },
];

interface ReplConfig extends PgConfig {
  me: string;
  /** node → address, this node included. */
  hosts: Map<string, string>;
  peers: string[];
  replUser: string;
  syncMode: 'off' | 'on' | 'strict';
  syncDropMs: number;
  maxLag: number;
  force: boolean;
}

function replConfig(ctx: AgentContext): ReplConfig {
  const c = pgConfig(ctx);
  const hosts = new Map<string, string>();
  for (const part of attrString(ctx, 'ReplicationHosts', true).split(',')) {
    const m = new RegExp(`^(${NODE})=(${ADDR})$`).exec(part.trim());
    if (!m) throw new AgentError(`ReplicationHosts: '${part}' is not NODE=ADDRESS`);
    hosts.set(m[1]!, m[2]!);
  }
  if (!hosts.has(ctx.nodeName)) throw new AgentError(`ReplicationHosts names no address for this node (${ctx.nodeName})`);
  const peers = [...hosts.keys()].filter((n) => n !== ctx.nodeName);
  if (peers.length === 0) throw new AgentError('ReplicationHosts names no other node to replicate with');
  const replUser = attrString(ctx, 'ReplicationUser') || 'postgres';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(replUser)) throw new AgentError(`ReplicationUser '${replUser}' is not a plain role name`);
  const syncMode = (attrString(ctx, 'SyncMode') || 'on') as ReplConfig['syncMode'];
  if (!['off', 'on', 'strict'].includes(syncMode)) throw new AgentError(`SyncMode must be off, on or strict, not '${syncMode}'`);
  return {
    ...c,
    me: ctx.nodeName,
    hosts,
    peers,
    replUser,
    syncMode,
    syncDropMs: attrInt(ctx, 'SyncDropTimeout', 10, 1, 3600) * 1000,
    maxLag: attrInt(ctx, 'MaxLagOnFailover', 1048576, 0),
    force: attrBool(ctx, 'ForcePromote', false),
  };
}

// ---------------------------------------------------------------- runtime state

interface Runtime {
  /** This node's server was made primary by online and not demoted since (persisted). */
  primaryHere: boolean;
  /** It was a primary since it last followed another node: check pg_rewind before following (persisted). */
  wasPrimary: boolean;
  /** Standby: the highest primary WAL position seen (bytes) and the last contact with the primary (Date.now ms). */
  primaryLsn?: bigint;
  lastContact?: number;
  /** Standby: the primary's sync_state for us at the last check, and when. */
  syncState?: string;
  /** Primary: since when no standby streams (Date.now ms). */
  standbyGoneSince?: number;
  /** The background return to standby, while it runs. */
  following?: Promise<void>;
  /** online in progress: the background return waits. */
  promoting: boolean;
}

const runtimes = new Map<string, Runtime>();

function stateFile(ctx: AgentContext): string {
  return join(homePaths(ctx.home).agentStateDir, `${ctx.resName}.replication.json`);
}

function rt(ctx: AgentContext): Runtime {
  const key = `${ctx.nodeName}\0${ctx.resName}`;
  let r = runtimes.get(key);
  if (!r) {
    r = { primaryHere: false, wasPrimary: false, promoting: false };
    try {
      const saved = JSON.parse(readFileSync(stateFile(ctx), 'utf8')) as { primaryHere?: boolean; wasPrimary?: boolean };
      r.primaryHere = saved.primaryHere === true;
      r.wasPrimary = saved.wasPrimary === true;
    } catch {
      /* no state yet */
    }
    runtimes.set(key, r);
  }
  return r;
}

/** Written durably (model/durable-file.ts): after a crash or a power cut the node still knows it was the primary. */
async function persist(ctx: AgentContext, r: Runtime): Promise<void> {
  await mkdir(homePaths(ctx.home).agentStateDir, { recursive: true });
  await writeDurable(stateFile(ctx), `${JSON.stringify({ primaryHere: r.primaryHere, wasPrimary: r.wasPrimary })}\n`, 0o644);
}

// ---------------------------------------------------------------- LSNs and SQL

/** "16/B374D848" → bytes. */
export function lsnBytes(lsn: unknown): bigint | undefined {
  if (typeof lsn !== 'string') return undefined;
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : undefined;
}

/** One query through psql as OsUser; the result is its single JSON value. Remote: host + ReplicationUser, 2 s connect timeout. */
async function queryJson(ctx: AgentContext, c: ReplConfig, sql: string, host?: string, timeoutMs = 5000): Promise<{ ok: true; value: any } | { ok: false; why: string }> {
  const args = ['-X', '-A', '-t', '-q', '-w', '-c', sql, '-p', String(c.port), '-d', c.database];
  if (host) args.push('-h', host, '-U', c.replUser);
  else if (c.socketDir) args.push('-h', c.socketDir);
  const r = await ctx.runner.run(`${c.bin}/psql`, args, { user: c.user, cwd: '/', timeoutMs, env: { PGCONNECT_TIMEOUT: '2', LC_ALL: 'C' } })
    .catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message, timedOut: false }));
  if (r.exitCode !== 0) return { ok: false, why: (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? `exit ${r.exitCode}` };
  try {
    return { ok: true, value: JSON.parse(r.stdout.trim()) };
  } catch {
    return { ok: false, why: `unexpected answer: ${r.stdout.trim().slice(0, 100)}` };
  }
}

// The server's own view: role, timeline, positions, its walreceiver and its standbys.
const STATUS_SQL = `SELECT json_build_object(
 'recovery', pg_is_in_recovery(),
 'lsn', CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END,
 'replay', pg_last_wal_replay_lsn(),
 'tli', CASE WHEN pg_is_in_recovery() THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint()))
        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
 'replay_age', extract(epoch FROM now() - pg_last_xact_replay_timestamp()),
 'receiver', (SELECT row_to_json(w) FROM (SELECT status, latest_end_lsn, extract(epoch FROM now() - last_msg_receipt_time) AS msg_age, sender_host FROM pg_stat_wal_receiver) w),
 'standbys', (SELECT json_agg(s) FROM (SELECT application_name AS name, state, sync_state,
      pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, replay_lsn) AS lag,
      extract(epoch FROM replay_lag) AS lag_s FROM pg_stat_replication) s),
 'paused', CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END,
 'sync_names', current_setting('synchronous_standby_names'))`;

interface Standby { name: string; state: string; sync_state: string; lag: number | null; lag_s: number | null }
interface Status {
  recovery: boolean;
  lsn: string | null;
  replay: string | null;
  tli: number | null;
  replay_age: number | null;
  receiver: { status: string; latest_end_lsn: string | null; msg_age: number | null; sender_host: string | null } | null;
  standbys: Standby[] | null;
  sync_names: string;
  paused: string | null;
}

/** A TCP connection to addr:port within ms (a powered-off peer must not cost libpq's 2 s minimum). */
function reachable(addr: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: addr, port });
    const done = (v: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(false), ms);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

interface PeerView { node: string; addr: string; reachable: boolean; primary?: boolean; lsn?: bigint; tli?: number; why?: string }

async function peerViews(ctx: AgentContext, c: ReplConfig): Promise<PeerView[]> {
  return Promise.all(c.peers.map(async (node) => {
    const addr = c.hosts.get(node)!;
    if (!(await reachable(addr, c.port, 300))) return { node, addr, reachable: false };
    const q = await queryJson(ctx, c, `SELECT json_build_object('recovery', pg_is_in_recovery(), 'lsn', CASE WHEN pg_is_in_recovery() THEN greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) ELSE pg_current_wal_lsn() END,
      'tli', CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint()) ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END)`, addr, 4000);
    if (!q.ok) return { node, addr, reachable: true, why: q.why };
    return { node, addr, reachable: true, primary: q.value.recovery === false, lsn: lsnBytes(q.value.lsn), tli: q.value.tli };
  }));
}

/** The latest checkpoint location of a stopped cluster, from pg_control (read as text by pg_controldata would fork: parse the file). */
function controlLsn(c: ReplConfig): bigint | undefined {
  try {
    // pg_control (PostgreSQL 15): system identifier (8), version (4), catalog version (4), state (4), time (8), checkPoint (8) at offset 32.
    const buf = readFileSync(join(c.dataDir, 'global/pg_control'));
    return buf.readBigUInt64LE(32);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- configuration files

/**
 * Sets (or removes, with null) keys in postgresql.auto.conf, which PostgreSQL
 * reads last. Written durably and owned by the server's OS user.
 */
async function setAutoConf(c: ReplConfig, values: Record<string, string | null>): Promise<void> {
  const file = join(c.dataDir, 'postgresql.auto.conf');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : ['# Do not edit this file manually!', '# It will be overwritten by the ALTER SYSTEM command.'];
  const kept = lines.filter((l) => !Object.keys(values).some((k) => new RegExp(`^\\s*${k}\\s*=`).test(l)) && l !== '');
  for (const [k, v] of Object.entries(values)) if (v !== null) kept.push(`${k} = '${v.replace(/'/g, "''")}'`);
  await writeDurable(file, `${kept.join('\n')}\n`, 0o600, { uid: c.uid, gid: c.gid });
}

/**
 * pg_rewind needs the old primary's WAL back to the last checkpoint before
 * the fork; its own crash recovery ends with a checkpoint that would recycle
 * it. Unless the DBA set wal_keep_size, keep 512MB of WAL.
 */
async function ensureWalKeep(c: ReplConfig): Promise<void> {
  const set = ['postgresql.conf', 'postgresql.auto.conf'].some((f) => {
    try {
      return /^\s*wal_keep_size\s*=/m.test(readFileSync(join(c.dataDir, f), 'utf8'));
    } catch {
      return false;
    }
  });
  if (!set) await setAutoConf(c, { wal_keep_size: '512MB' });
}

function conninfo(c: ReplConfig, addr: string): string {
  return `host=${addr} port=${c.port} user=${c.replUser} application_name=${c.me} connect_timeout=2`;
}

/** The standby's settings, then standby.signal: durable, so a power cut never turns a standby into a primary. */
async function writeStandbyConf(c: ReplConfig, addr: string): Promise<void> {
  await ensureWalKeep(c);
  await setAutoConf(c, { primary_conninfo: conninfo(c, addr), recovery_target_timeline: 'latest', wal_retrieve_retry_interval: '500ms', synchronous_standby_names: null });
  await writeDurable(join(c.dataDir, 'standby.signal'), '', 0o600, { uid: c.uid, gid: c.gid });
}

// ---------------------------------------------------------------- observe

function describe(s: Status, r: Runtime): { reason: string; details: Record<string, unknown> } {
  if (!s.recovery) {
    const sb = s.standbys ?? [];
    const list = sb.map((x) => `${x.name} ${x.state} ${x.sync_state}, lag ${x.lag ?? '?'} bytes${x.lag_s !== null ? ` ${x.lag_s.toFixed(2)} s` : ''}`).join('; ');
    return {
      reason: `primary, timeline ${s.tli}, ${sb.length ? `standby ${list}` : 'no standby streaming'}${s.sync_names ? ` (synchronous_standby_names ${s.sync_names})` : ' (asynchronous)'}`,
      details: { role: 'primary', timeline: s.tli, lsn: s.lsn, synchronousStandbyNames: s.sync_names, standbys: sb.map((x) => ({ node: x.name, state: x.state, sync: x.sync_state, lagBytes: x.lag, lagSeconds: x.lag_s })) },
    };
  }
  const lagBytes = r.primaryLsn !== undefined && lsnBytes(s.replay) !== undefined ? Number(r.primaryLsn > lsnBytes(s.replay)! ? r.primaryLsn - lsnBytes(s.replay)! : 0n) : null;
  const w = s.receiver;
  const sync = r.syncState ?? 'unknown';
  return {
    reason: `standby, timeline ${s.tli}, ${w ? `${w.status} from ${w.sender_host}` : 'not connected to a primary'}, ${sync}, replay lag ${lagBytes ?? '?'} bytes${s.replay_age !== null ? ` / ${s.replay_age.toFixed(1)} s since the last replayed transaction` : ''}`,
    details: { role: 'standby', timeline: s.tli, receiveLsn: s.lsn, replayLsn: s.replay, upstream: w?.sender_host ?? null, receiver: w?.status ?? null, sync, lagBytes, lagSeconds: s.replay_age },
  };
}

/** Primary, SyncMode on/strict/off: synchronous_standby_names follows the standby. */
async function manageSync(ctx: AgentContext, c: ReplConfig, s: Status, r: Runtime): Promise<void> {
  const streaming = (s.standbys ?? []).filter((x) => c.peers.includes(x.name) && x.state === 'streaming').map((x) => x.name);
  if (streaming.length > 0) r.standbyGoneSince = undefined;
  else r.standbyGoneSince ??= Date.now();
  const names = (list: string[]): string => (list.length === 0 ? '' : list.length === 1 ? `"${list[0]}"` : `ANY 1 (${list.map((p) => `"${p}"`).join(', ')})`);
  let want: string;
  if (c.syncMode === 'off') want = '';
  else if (c.syncMode === 'strict') want = names(c.peers);
  else if (streaming.length > 0) want = names(streaming);
  else if (r.standbyGoneSince !== undefined && Date.now() - r.standbyGoneSince > c.syncDropMs) want = '';
  else want = s.sync_names; // gone for less than SyncDropTimeout: keep waiting for it
  if (want === s.sync_names) return;
  await setSyncNames(ctx, c, want);
  ctx.log(want ? `synchronous replication: synchronous_standby_names = '${want}' (SyncMode ${c.syncMode})` : `synchronous replication dropped: no standby streaming for more than ${c.syncDropMs / 1000} s; writes no longer wait for one (SyncMode ${c.syncMode})`);
}

async function setSyncNames(ctx: AgentContext, c: ReplConfig, value: string): Promise<void> {
  const args = ['-X', '-A', '-t', '-q', '-w', '-c', `ALTER SYSTEM SET synchronous_standby_names = '${value.replace(/'/g, "''")}'`, '-c', 'SELECT pg_reload_conf()', '-p', String(c.port), '-d', c.database];
  if (c.socketDir) args.push('-h', c.socketDir);
  const res = await pgTool(ctx, c, 'psql', args, 10_000);
  if (res.exitCode !== 0) ctx.log(`setting synchronous_standby_names failed: ${(res.stderr.trim() || res.stdout.trim()).split('\n')[0]}`);
}

/** Standby: remember the primary's WAL position, the last contact and our sync state (what the failover checks use). */
async function trackPrimary(ctx: AgentContext, c: ReplConfig, s: Status, r: Runtime): Promise<void> {
  const w = s.receiver;
  if (!w) return;
  const end = lsnBytes(w.latest_end_lsn);
  if (end !== undefined && (r.primaryLsn === undefined || end > r.primaryLsn)) r.primaryLsn = end;
  if (w.msg_age !== null) r.lastContact = Math.max(r.lastContact ?? 0, Date.now() - w.msg_age * 1000);
  if (w.status !== 'streaming' || !w.sender_host) return;
  const q = await queryJson(ctx, c, `SELECT json_build_object('sync', (SELECT sync_state FROM pg_stat_replication WHERE application_name = '${c.me}' LIMIT 1), 'lsn', pg_current_wal_lsn())`, w.sender_host, 3000);
  if (!q.ok) return;
  r.syncState = q.value.sync ?? 'not listed';
  const lsn = lsnBytes(q.value.lsn);
  if (lsn !== undefined && (r.primaryLsn === undefined || lsn > r.primaryLsn)) r.primaryLsn = lsn;
  r.lastContact = Date.now();
}

async function localStatus(ctx: AgentContext, c: ReplConfig): Promise<{ running: false; why: string; stale?: boolean } | { running: true; status: Status } | { running: true; status?: undefined; why: string }> {
  const pid = postmasterPid(c);
  if (pid === undefined) return { running: false, why: `not running (no postmaster.pid in ${c.dataDir})` };
  if (!isClusterProcess(c, pid)) return { running: false, stale: true, why: `postmaster (pid ${pid}) is gone but left ${c.dataDir}/postmaster.pid behind (crashed or killed)` };
  const q = await queryJson(ctx, c, STATUS_SQL, undefined, Math.max(1000, Math.min(ctx.deadline, 10_000)));
  if (!q.ok) return { running: true, why: `postmaster pid ${pid} runs but the query on port ${c.port} fails: ${q.why}` };
  return { running: true, status: q.value as Status };
}

async function observe(ctx: AgentContext): Promise<Observation & { details?: Record<string, unknown> }> {
  const c = replConfig(ctx);
  const r = rt(ctx);
  const st = await localStatus(ctx, c);
  if (!st.running) {
    if (r.primaryHere) {
      // Down where it was the primary. If another node's server is the primary now (this node was powered
      // off and taken over), this one is no longer it: it comes back as that primary's standby.
      const elsewhere = r.following || r.promoting ? undefined : await findPrimary(ctx, c);
      if (!elsewhere) return { state: 'failed', reason: `primary ${st.why}` };
      ctx.log(`the primary is now on ${elsewhere.node}: this node's server returns as its standby`);
      r.primaryHere = false;
      r.wasPrimary = true;
      await persist(ctx, r);
    }
    followInBackground(ctx, c, r, false);
    return { state: 'stopped', reason: `standby ${st.why}${r.following ? '; starting it as a standby' : ''}`, details: { role: 'stopped' } };
  }
  if (!st.status) return { state: 'failed', reason: st.why };
  const s = st.status;
  if (!s.recovery) {
    if (r.primaryHere) await manageSync(ctx, c, s, r);
    const d = describe(s, r);
    return { state: 'running', reason: d.reason, details: d.details };
  }
  await trackPrimary(ctx, c, s, r);
  if (r.primaryHere) return { state: 'failed', reason: `expected the primary here, but the server is in recovery (a standby)` };
  const d = describe(s, r);
  return { state: 'stopped', reason: d.reason, details: d.details };
}

// ---------------------------------------------------------------- back to standby (background)

/** waitForPrimary: after a demotion the new primary is about to exist: wait for it (to rewind against it). */
function followInBackground(ctx: AgentContext, c: ReplConfig, r: Runtime, waitForPrimary = true): void {
  if (r.following || r.promoting || r.primaryHere) return;
  const quiet = { ...ctx, signal: new AbortController().signal, deadline: 120_000 };
  r.following = follow(quiet, c, r, waitForPrimary)
    .catch((e: Error) => ctx.log(`returning to standby: ${e.message}`))
    .finally(() => {
      r.following = undefined;
    });
}

/** The primary among the peers, if one answers as such. */
async function findPrimary(ctx: AgentContext, c: ReplConfig): Promise<PeerView | undefined> {
  return (await peerViews(ctx, c)).find((p) => p.primary === true);
}

function dataDirEmpty(c: ReplConfig): boolean {
  try {
    return readdirSync(c.dataDir).length === 0;
  } catch {
    return false;
  }
}

/** Start this node's server as a standby of the primary: pg_basebackup when empty, pg_rewind when it was a primary. */
async function follow(ctx: AgentContext, c: ReplConfig, r: Runtime, waitForPrimary: boolean): Promise<void> {
  const end = performance.now() + 120_000;
  for (let attempt = 0; performance.now() < end; attempt++) {
    if (r.promoting || r.primaryHere) return;
    const st = await localStatus(ctx, c);
    if (st.running) return; // a standby or a primary already runs: observe reports it
    const primary = await findPrimary(ctx, c);
    // A stopped server that was last a primary (no standby.signal) only ever follows a primary that exists.
    const exPrimary = r.wasPrimary || (!dataDirEmpty(c) && existsSync(join(c.dataDir, 'PG_VERSION')) && !existsSync(join(c.dataDir, 'standby.signal')));
    if (!primary && (dataDirEmpty(c) || exPrimary) && !waitForPrimary) return; // cold cluster: online decides which one is the primary
    if (exPrimary && !r.wasPrimary) {
      r.wasPrimary = true;
      await persist(ctx, r);
    }
    if (dataDirEmpty(c)) {
      if (!primary) {
        await sleep(1000);
        continue;
      }
      ctx.log(`DataDir ${c.dataDir} is empty: pg_basebackup from ${primary.node} (${primary.addr})`);
      const b = await pgTool(ctx, c, 'pg_basebackup', ['-D', c.dataDir, '-h', primary.addr, '-p', String(c.port), '-U', c.replUser, '-X', 'stream', '-c', 'fast', '-w'], 600_000);
      if (b.exitCode !== 0) throw new AgentError(`pg_basebackup from ${primary.node} failed: ${(b.stderr.trim() || b.stdout.trim()).split('\n').pop()}`);
      r.wasPrimary = false;
      await persist(ctx, r);
    } else if (r.wasPrimary) {
      if (!primary) {
        // No rewind source yet (the new primary is still being promoted): wait for it.
        await sleep(attempt < 20 ? 250 : 1000);
        continue;
      }
      checkDataDir(c);
      const left = () => Math.max(1000, end - performance.now());
      await stopAll(ctx, c, left, { claim: true }); // leftovers of a crash (stale postmaster.pid, socket lock)
      // A freshly promoted source has not written its new timeline to pg_control yet: pg_rewind reads it from there (its docs: CHECKPOINT first).
      const cp = await queryJson(ctx, c, 'CHECKPOINT', primary.addr, 60_000);
      if (!cp.ok && !/unexpected answer/.test(cp.why)) ctx.log(`CHECKPOINT on ${primary.node} before pg_rewind: ${cp.why}`);
      const rw = await pgTool(ctx, c, 'pg_rewind', ['--target-pgdata', c.dataDir, '--source-server', `host=${primary.addr} port=${c.port} user=${c.replUser} dbname=${c.database} connect_timeout=2`], left());
      const said = (rw.stdout.trim() + '\n' + rw.stderr.trim()).trim().split('\n').filter(Boolean);
      if (rw.exitCode !== 0) {
        ctx.log(`pg_rewind from ${primary.node} failed (will retry): ${said.slice(-2).join(' / ')}`);
        await sleep(2000);
        continue;
      }
      ctx.log(`pg_rewind from ${primary.node}: ${said.find((l) => /no rewind required|Done!/.test(l)) ?? said.pop() ?? 'done'}`);
    }
    checkDataDir(c);
    if (r.promoting || r.primaryHere) return;
    const upstream = primary ?? { node: c.peers[0]!, addr: c.hosts.get(c.peers[0]!)! };
    await stopAll(ctx, c, () => 10_000, { claim: true });
    await writeStandbyConf(c, upstream.addr);
    const opts = `-p ${c.port}${c.socketDir ? ` -k ${c.socketDir}` : ''}`;
    const s = await pgTool(ctx, c, 'pg_ctl', ['start', '-w', '-t', '60', '-D', c.dataDir, '-l', logFile(c), '-o', opts], 70_000);
    if (s.exitCode !== 0) throw new AgentError(`starting the standby failed: ${logTail(c) || (s.stderr.trim() || s.stdout.trim()).split('\n').pop()}`);
    ctx.log(`started as a standby of ${upstream.node} (${upstream.addr})`);
    if (r.wasPrimary) {
      // Only once it runs as a standby: a failed start after pg_rewind rewinds again next time.
      r.wasPrimary = false;
      await persist(ctx, r);
    }
    return;
  }
}

// ---------------------------------------------------------------- online: promote

/** Why promoting this standby could lose acknowledged transactions, or undefined when it cannot. */
function promotionRisk(c: ReplConfig, s: Status, r: Runtime): string | undefined {
  const replay = lsnBytes(s.replay) ?? 0n;
  const received = lsnBytes(s.lsn) ?? 0n;
  const lag = r.primaryLsn !== undefined && r.primaryLsn > replay ? r.primaryLsn - replay : 0n;
  const unreceived = r.primaryLsn !== undefined && r.primaryLsn > received ? r.primaryLsn - received : 0n;
  if (c.syncMode === 'strict') return undefined; // every acknowledged commit waited for this standby
  if (c.syncMode === 'on') {
    const age = r.lastContact === undefined ? Infinity : Date.now() - r.lastContact;
    if (age >= c.syncDropMs) return `last contact with the primary ${age === Infinity ? 'never seen' : `${(age / 1000).toFixed(1)} s ago`}, SyncDropTimeout ${c.syncDropMs / 1000} s: the primary may have gone on without waiting for this standby`;
    if (r.syncState !== 'sync' && r.syncState !== 'quorum' && unreceived > 0n) return `this standby was ${r.syncState ?? 'not known'} to the primary and ${unreceived} bytes behind its last known WAL position`;
    return undefined;
  }
  if (lag > BigInt(c.maxLag)) return `replay lag ${lag} bytes behind the primary's last known WAL position exceeds MaxLagOnFailover ${c.maxLag}`;
  return undefined;
}

async function online(ctx: AgentContext): Promise<void> {
  const c = replConfig(ctx);
  const r = rt(ctx);
  const left = budget(ctx);
  r.promoting = true;
  try {
    if (r.following) await r.following;
    // This server's state and the peers' at once (independent reads).
    const [local, peers] = await Promise.all([localStatus(ctx, c), peerViews(ctx, c)]);
    let st = local;
    if (st.running && st.status && !st.status.recovery) {
      r.primaryHere = true;
      r.wasPrimary = true;
      await persist(ctx, r);
      return;
    }
    // Never two primaries: a peer whose server answers as a primary stops the promotion.
    const other = peers.find((p) => p.primary === true);
    if (other) throw new AgentError(`not promoted: the server on ${other.node} (${other.addr}) is a primary and accepts writes; take the group offline there first (or fence ${other.node}): mccs never makes two primaries`);
    if (!st.running || !st.status) {
      if (!st.running && st.stale) await stopAll(ctx, c, left, { claim: true });
      checkDataDir(c);
      // Stopped. Last a primary (no standby.signal: a cold start of the cluster): it starts as the primary,
      // unless a peer has more WAL. Last a standby: it starts as a standby first, replays what it has, and is promoted below.
      const asPrimary = !existsSync(join(c.dataDir, 'standby.signal'));
      if (!asPrimary) await writeStandbyConf(c, c.hosts.get(c.peers[0]!)!);
      else await ensureWalKeep(c);
      const ahead = asPrimary ? peers.find((p) => p.lsn !== undefined && p.lsn > (controlLsn(c) ?? 0n)) : undefined;
      if (ahead && !c.force) throw new AgentError(`not started as the primary: the server on ${ahead.node} has more WAL than this one; bring the group online there (or set ForcePromote)`);
      try {
        await pgStart(ctx, c, left);
      } catch (e) {
        throw new AgentError(`${asPrimary ? '' : '(as a standby, before promotion) '}${(e as Error).message}`);
      }
      st = await localStatus(ctx, c);
      if (!st.running || !st.status) throw new AgentError(`started, but: ${'why' in st ? st.why : 'no status'}`);
      if (!st.status.recovery) {
        r.primaryHere = true;
        r.wasPrimary = true;
        await persist(ctx, r);
        await setSyncNames(ctx, c, c.syncMode === 'strict' ? (c.peers.length === 1 ? `"${c.peers[0]}"` : `ANY 1 (${c.peers.map((x) => `"${x}"`).join(', ')})`) : '');
        r.standbyGoneSince = Date.now();
        ctx.log('started as the primary (it was the primary when it stopped)');
        return;
      }
    }
    const s = st.status;
    const ahead = peers.find((p) => p.lsn !== undefined && (lsnBytes(s.lsn) ?? 0n) < p.lsn && (p.tli ?? 0) >= (s.tli ?? 0));
    const risk = ahead
      ? `the standby on ${ahead.node} has more WAL (${ahead.lsn} bytes) than this one (${lsnBytes(s.lsn)})`
      : promotionRisk(c, s, r);
    if (risk) {
      if (!c.force) throw new AgentError(`not promoted: ${risk} (SyncMode ${c.syncMode}); to promote anyway: mcres modify ${ctx.resName} ForcePromote true, then bring the group online`);
      ctx.log(`ForcePromote: promoting although ${risk}`);
    }
    // Primaries stay primaries from here on (also after an engine restart), until offline demotes.
    r.primaryHere = true;
    r.wasPrimary = true;
    await persist(ctx, r);
    if (s.paused && s.paused !== 'not paused') {
      // Replay paused by an operator: what was received is replayed before the promotion ends recovery.
      await queryJson(ctx, c, "SELECT to_json(pg_wal_replay_resume())", undefined, 5000);
    }
    const p = await pgTool(ctx, c, 'pg_ctl', ['promote', '-W', '-D', c.dataDir], Math.min(left(), 30_000));
    if (p.exitCode !== 0) throw new AgentError(`pg_ctl promote failed: ${(p.stderr.trim() || p.stdout.trim()).split('\n').pop()}`);
    // The postmaster marks itself ready (line 8 of postmaster.pid) the moment recovery has ended and it
    // accepts writes: polled every 10 ms (no fork), then confirmed once by a query.
    for (;;) {
      if (pmStatus(c) === 'ready') {
        const q = await queryJson(ctx, c, "SELECT json_build_object('recovery', pg_is_in_recovery())", undefined, 5000);
        if (q.ok && q.value.recovery === false) break;
      }
      if (left() < 500) throw new AgentError(`promoted, but the server is still in recovery (${pmStatus(c) ?? 'no postmaster.pid'})`);
      await sleep(10);
    }
    // The old primary is not streaming yet: in strict mode writes wait for it, in on/off mode they go on.
    const strictNames = c.peers.length === 1 ? `"${c.peers[0]}"` : `ANY 1 (${c.peers.map((x) => `"${x}"`).join(', ')})`;
    await setSyncNames(ctx, c, c.syncMode === 'strict' ? strictNames : '');
    r.standbyGoneSince = Date.now();
    r.primaryLsn = undefined;
    r.syncState = undefined;
    ctx.log(`promoted to primary${risk ? ' (forced)' : ''}`);
  } catch (e) {
    if (r.primaryHere) {
      // Failed after deciding to promote: stay marked primary only if it really is one.
      const now = await localStatus(ctx, c);
      if (!(now.running && now.status && !now.status.recovery)) {
        r.primaryHere = false;
        await persist(ctx, r);
      }
    }
    throw e;
  } finally {
    r.promoting = false;
  }
}

// ---------------------------------------------------------------- offline: demote

async function offline(ctx: AgentContext): Promise<void> {
  const c = replConfig(ctx);
  const r = rt(ctx);
  const left = budget(ctx);
  const st = await localStatus(ctx, c);
  if (st.running && st.status?.recovery) {
    r.primaryHere = false;
    await persist(ctx, r);
    return; // already a standby: offline from the group's point of view
  }
  if (st.running) {
    // Fast shutdown: clients are disconnected, the walsenders send the last WAL to the standby, then it stops.
    const gone = await pgStop(ctx, c, 'fast', Math.max(1000, left() * 0.6));
    if (!gone) await stopAll(ctx, c, left, { claim: true });
  } else if (st.stale) {
    await stopAll(ctx, c, left, { claim: true });
  }
  r.primaryHere = false;
  await persist(ctx, r);
  followInBackground(ctx, c, r);
}

async function clean(ctx: AgentContext): Promise<void> {
  const c = replConfig(ctx);
  const r = rt(ctx);
  const st = await localStatus(ctx, c);
  if (!(st.running && st.status?.recovery)) await stopAll(ctx, c, budget(ctx), { claim: true });
  r.primaryHere = false;
  await persist(ctx, r);
  followInBackground(ctx, c, r);
}

export const postgresqlReplicationAgent: Agent = {
  type: 'PostgreSQLReplication',
  attributes,
  observe,
  online,
  offline,
  clean,
};

/** For tests: the runtime of a resource on a node. */
export function replicationRuntime(ctx: Pick<AgentContext, 'nodeName' | 'resName' | 'home'>): { primaryHere: boolean; wasPrimary: boolean; following: boolean } {
  const r = rt(ctx as AgentContext);
  return { primaryHere: r.primaryHere, wasPrimary: r.wasPrimary, following: r.following !== undefined };
}

/** Waits for a background return to standby, if one runs (tests). */
export async function settled(ctx: Pick<AgentContext, 'nodeName' | 'resName' | 'home'>): Promise<void> {
  await rt(ctx as AgentContext).following;
}
