// The PostgreSQL proof of issue 4: in the two-node lab, a group
//   NIC(eth0) ← IP(10.213.0.100/24) ← PostgreSQL → SharedDisk(loop device, ext4)
// (PostgreSQL depends on both IP and SharedDisk). One loop device on a file
// of the host is the shared disk: block devices are global, so both nodes'
// mount namespaces see /dev/loopN; ext4 covers all of it but the last MiB,
// where the disk lease lives. The cluster was initdb'd once on it.
//
// From the client namespace a writer inserts numbered rows through the VIP,
// one every 10 ms, over the PostgreSQL wire protocol (a few lines of Node,
// no driver), and acknowledges a row only when its INSERT (autocommit)
// answered CommandComplete + ReadyForQuery, i.e. once it is committed. On a
// lost connection it reconnects and goes on with the next number. During
// the run the group is switched (planned, grp.switch) or its node powered
// off; afterwards every acknowledged row must be in the table, and the
// table holds nothing but numbers the writer sent: 0 acknowledged rows lost.
//
// Root only (namespaces, losetup, mount, running postgres as its user).
// Cleanup, also on failure: the lab destroyed (kills both nodes, whose mount
// namespaces hold the only mounts of the disk), then the loop device
// detached and its file removed.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { ClusterLab, IS_ROOT, NODE_NAMES, VIP4, type NodeName } from '../helpers/cluster-lab.js';
import { exec, must, sleep } from '../lab/exec.js';
import { bootNode, execInClient, freeze, nodePids, thaw } from '../lab/lab.js';
import { initPgCluster, makeSocketDir, PG_BIN } from '../lab/pg-cluster.js';
import { longestGapMs, lostRows, startWriter, type WriterRun } from '../lab/pg-writer-run.js';
import { DdLeaseIO, decodeBlock } from '../../src/engine/agents/disk-lease.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { hasUser } from '../helpers/os-users.js';

const GROUP = 'pg';
const RES = { nic: 'pg-nic', ip: 'pg-ip', disk: 'pg-disk', db: 'pg-db' } as const;
const SOCKET_DIR = '/run/postgresql';
const MiB = 1024 * 1024;

function skipReason(): string | undefined {
  if (!IS_ROOT) return 'needs root (lab namespaces, losetup, mount)';
  if (!existsSync(`${PG_BIN}/initdb`)) return `${PG_BIN}/initdb missing (Debian package postgresql-15)`;
  if (!hasUser('postgres')) return 'no postgres OS user';
  if (!existsSync('/usr/bin/psql') && !existsSync(`${PG_BIN}/psql`)) return 'psql missing';
  return undefined;
}
const SKIP = skipReason();
if (SKIP) console.log(`postgresql-failover.test: skipped: ${SKIP}`);
const PSQL = existsSync(`${PG_BIN}/psql`) ? `${PG_BIN}/psql` : '/usr/bin/psql';

// ---------------------------------------------------------------- the proof

describe.skipIf(SKIP !== undefined)('PostgreSQL on a shared disk in the two-node lab: no acknowledged row lost', () => {
  let cl: ClusterLab | undefined;
  let work = '';
  let loop = '';
  let mountPoint = '';
  const writers: WriterRun[] = [];

  const config = (): MainConfig => ({
    ConfigVersion: 1,
    Cluster: { ClusterName: 'pglab' },
    Nodes: NODE_NAMES.map((name, i) => ({
      NodeName: name,
      PrimaryHB: `10.213.0.${i + 1}`,
      SecondaryHB: `10.213.1.${i + 1}`,
      IsolationTestAddresses: '10.213.0.254',
    })),
    Types: {
      NIC: { MonitorInterval: 1 },
      IP: { MonitorInterval: 1, OfflineMonitorInterval: 5 },
      SharedDisk: { MonitorInterval: 2, OfflineMonitorInterval: 5 },
      PostgreSQL: { MonitorInterval: 2, OfflineMonitorInterval: 5 },
    },
    Groups: [{
      GroupName: GROUP,
      GroupType: 'FAILOVER',
      NodeList: ['node1', 'node2'],
      AutoStart: false,
      Resources: [
        { ResName: RES.nic, Type: 'NIC', Device: 'eth0' },
        { ResName: RES.ip, Type: 'IP', NICResName: RES.nic, Address: VIP4, Prefix: 24, Critical: true },
        { ResName: RES.disk, Type: 'SharedDisk', Device: loop, MountPoint: mountPoint, FSType: 'ext4', Critical: true },
        { ResName: RES.db, Type: 'PostgreSQL', DataDir: join(mountPoint, 'data'), Port: 5432, SocketDir: SOCKET_DIR, OsUser: 'postgres', Critical: true },
      ],
      Dependencies: [
        { Parent: RES.ip, Child: RES.nic },
        { Parent: RES.db, Child: RES.ip },
        { Parent: RES.db, Child: RES.disk },
      ],
    }],
  } as unknown as MainConfig);

  /** The node's own /run is emptied at every boot: the socket directory is made again. */
  async function bootWithSocketDir(lab: ClusterLab, n: NodeName): Promise<void> {
    await bootNode(lab.lab, n);
    makeSocketDir(lab.lab.nodes[n].run);
  }

  async function psqlClient(sql: string): Promise<string> {
    const r = await execInClient(cl!.lab, PSQL, ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', VIP4, '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-c', sql],
      { timeoutMs: 20_000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } });
    if (r.exitCode !== 0) throw new Error(`psql from the client: ${sql}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** The lab's writer (test/lab/pg-writer-run.ts) through the VIP. */
  function writeThroughVip(table: string, maxMs: number): WriterRun {
    const run = startWriter(cl!.lab, VIP4, table, maxMs);
    writers.push(run);
    return run;
  }

  /** The writer's outage: the longest time between two consecutive acknowledgements, and when it began relative to t0. */
  function longestGap(run: WriterRun, t0: number): string {
    const best = longestGapMs(run, t0);
    return `${(best.gap / 1000).toFixed(2)} s, from ${((best.from - t0) / 1000).toFixed(2)} s after the fault/request`;
  }

  async function waitAcks(run: WriterRun, count: number, timeoutMs: number): Promise<void> {
    await cl!.waitFor(`${count} rows acknowledged (have ${run.acked.size})`, () => {
      if (run.child.exitCode !== null) throw new Error(`writer exited: ${run.failures.join('; ')} exited:`);
      return run.acked.size >= count;
    }, timeoutMs, 20);
  }

  /** Every acknowledged row is in the table; the table holds only numbers the writer sent. */
  async function check(table: string, run: WriterRun, label: string): Promise<void> {
    const found = (await psqlClient(`SELECT n FROM ${table} ORDER BY n`)).split('\n').filter(Boolean).map(Number);
    const foundSet = new Set(found);
    const { lost, unknown, summary: counts } = lostRows(run, found);
    const extra = found.filter((n) => !run.acked.has(n));
    const sorted = [...run.sent].sort((a, b) => a - b);
    const summary = `${label}: ${counts}; ${extra.length} in doubt but committed: ${extra.join(',') || 'none'}; ` +
      `not committed in doubt: ${[...run.inDoubt.keys()].filter((n) => !foundSet.has(n)).join(',') || 'none'}`;
    console.log(summary);
    expect(lost, summary).toEqual([]);
    expect(unknown, summary).toEqual([]);
    // The numbers were sent as the sequence 1..last, each once; the table has no duplicates (primary key) and is within it.
    expect(sorted).toEqual(Array.from({ length: sorted.length }, (_, i) => i + 1));
    expect(found.length).toBe(foundSet.size);
    // Count as PostgreSQL itself reports it.
    const [count, min, max] = (await psqlClient(`SELECT count(*), min(n), max(n) FROM ${table}`)).split('|').map(Number);
    expect(count).toBe(found.length);
    expect(min).toBe(found[0]);
    expect(max).toBe(found[found.length - 1]);
  }

  beforeAll(async () => {
    work = mkdtempSync('/tmp/mccs-pgfo-');
    chmodSync(work, 0o755); // postgres must reach the data directory under it
    const img = join(work, 'shared-disk.img');
    writeFileSync(img, '');
    await must('truncate', ['-s', '256M', img]);
    loop = (await must('losetup', ['-f', '--show', img])).trim();
    const size = Number((await must('blockdev', ['--getsize64', loop])).trim());
    // ext4 on all of it but the last MiB, which is the disk lease's (docs/agents.md, "Preparing the disk").
    await must('mkfs.ext4', ['-q', '-F', '-b', '4096', loop, String((size - MiB) / 4096)]);
    const hostMnt = join(work, 'mnt');
    mkdirSync(hostMnt);
    await must('mount', ['-t', 'ext4', loop, hostMnt]);
    try {
      // Test only: the lab client may connect without a password; everything else is rejected.
      await initPgCluster(join(hostMnt, 'data'), { trust: '10.213.0.200/32' });
    } finally {
      await must('umount', [hostMnt]);
    }

    cl = await ClusterLab.create('pgfo', () => config());
    mountPoint = join(cl.lab.dir, 'pgdisk');
    mkdirSync(mountPoint, { recursive: true });
    // The config needs the mount point of the lab directory: written again now that it is known.
    for (const n of NODE_NAMES) cl.writeConfig(n, config());

    for (const n of NODE_NAMES) await bootWithSocketDir(cl, n);
    await cl.startBoth('running');
    const r = await cl.rpc('node1', 'grp.online', { group: GROUP, node: 'node1', wait: true, timeout: 120 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { group: GROUP, timeoutMs: 30_000 });
    await cl.waitFor('PostgreSQL to answer through the VIP', () => psqlClient('SELECT 1').then((s) => s.trim() === '1').catch(() => false), 30_000, 200);
    await psqlClient('CREATE TABLE t_switch (n integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
    await psqlClient('CREATE TABLE t_poweroff (n integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
    await psqlClient('CREATE TABLE t_freeze (n integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
  }, 180_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump(60)}`);
  });

  afterAll(async () => {
    for (const w of writers) if (w.child.exitCode === null && w.child.pid) w.child.kill('SIGKILL');
    // Killing both nodes ends their mount namespaces, the only places the disk is mounted.
    await cl?.destroy();
    if (work) {
      const hostMnt = join(work, 'mnt');
      if (readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === hostMnt)) await exec('umount', [hostMnt]);
    }
    if (loop) {
      // The last mount may take a moment to go with its namespace: detach until the device is free.
      const backing = `/sys/block/${loop.replace('/dev/', '')}/loop/backing_file`;
      for (let i = 0; i < 100 && existsSync(backing); i++) {
        await exec('losetup', ['-d', loop]);
        if (existsSync(backing)) await sleep(100);
      }
      if (existsSync(backing)) console.log(`postgresql-failover.test: ${loop} is still attached (busy?)`);
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('planned switch (grp.switch node1 → node2) while the writer runs: every acknowledged row is there', async () => {
    const lab = cl!;
    const run = writeThroughVip('t_switch', 60_000);
    await waitAcks(run, 200, 20_000);
    const m = lab.mark();
    const before = run.acked.size;
    const t0 = Date.now();
    const r = await lab.rpc('node1', 'grp.switch', { group: GROUP, node: 'node2', wait: true, timeout: 120 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    await lab.waitGroup({ node1: 'OFFLINE', node2: 'ONLINE' }, { group: GROUP, timeoutMs: 30_000 });
    const onNode2 = lab.eventsSince('node2', m).filter((e) => e.rule === 'ONLINE_DONE').map((e) => e.resource);
    expect(onNode2).toEqual(expect.arrayContaining([RES.ip, RES.disk, RES.db]));
    // The writer reconnected and went on: 200 more rows acknowledged by node2's server.
    await waitAcks(run, before + 200, 30_000);
    await run.stop();
    console.log(`switch: the writer's longest wait between two acknowledged rows: ${longestGap(run, t0)}`);
    expect(run.connects.length).toBeGreaterThanOrEqual(2);
    await check('t_switch', run, 'planned switch');
  }, 120_000);

  it('power-off of the active node (node2): the group comes up on node1, the writer goes on, every acknowledged row is there', async () => {
    const lab = cl!;
    const run = writeThroughVip('t_poweroff', 90_000);
    await waitAcks(run, 200, 20_000);
    const m = lab.mark();
    const before = run.acked.size;
    const t0 = Date.now();
    await lab.powerOff('node2');
    const d = await lab.waitEvent('node1', m, /^DECISION_/, 15_000);
    expect(d.rule, d.message).toBe('DECISION_NODE_FAULT');
    await lab.waitGroup({ node1: 'ONLINE' }, { group: GROUP, viewers: ['node1'], timeoutMs: 60_000 });
    await waitAcks(run, before + 200, 30_000);
    await run.stop();
    console.log(`power-off: the writer's longest wait between two acknowledged rows: ${longestGap(run, t0)}`);
    expect(run.connects.length).toBeGreaterThanOrEqual(2);
    await check('t_poweroff', run, 'power-off');
    // The table of the first case is intact on the disk node1 mounted after the takeover.
    expect(Number((await psqlClient('SELECT count(*) FROM t_switch')).trim())).toBeGreaterThan(0);
    // node2 back: it joins without taking the group back, and the group stays writable.
    await lab.powerOn('node2', false);
    await bootWithSocketDir(lab, 'node2');
    await lab.startEngine('node2', 'running', 30_000);
    await lab.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { group: GROUP, timeoutMs: 30_000 });
  }, 180_000);
  it('the active node frozen (every process SIGSTOPped, links down) across the takeover, then resumed: it never writes the lease again, and what it ran on the disk is stopped at once', async () => {
    const lab = cl!;
    // After the power-off case the group runs on node1.
    await lab.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { group: GROUP, timeoutMs: 30_000 });
    const size = Number((await must('blockdev', ['--getsize64', loop])).trim());
    const lease = new DdLeaseIO(new ExecRunner(), loop, size - MiB);
    const holder = async () => {
      const b = decodeBlock(await lease.read());
      return b.kind === 'record' ? `${b.record.owner || '-'}:${b.record.generation}` : b.kind;
    };
    expect(await holder()).toMatch(/^node1:/);
    const run = writeThroughVip('t_freeze', 120_000);
    await waitAcks(run, 200, 20_000);
    const m = lab.mark();
    const before = run.acked.size;
    const t0 = Date.now();
    const frozen = await freeze(lab.lab, 'node1');
    // node2 sees a dead peer, takes the stale lease over and starts PostgreSQL.
    const d = await lab.waitEvent('node2', m, /^DECISION_/, 15_000);
    expect(d.rule, d.message).toBe('DECISION_NODE_FAULT');
    await lab.waitGroup({ node2: 'ONLINE' }, { group: GROUP, viewers: ['node2'], timeoutMs: 60_000 });
    await waitAcks(run, before + 100, 30_000);
    const taken = await holder();
    expect(taken).toMatch(/^node2:/);
    console.log(`freeze: ${frozen.length} processes of node1 stopped; node2 took over in ${((Date.now() - t0) / 1000).toFixed(2)} s (lease ${taken}); the writer's longest wait: ${longestGap(run, t0)}`);

    // Resume node1. From now on: does it ever write the lease, and how long until nothing of it uses the disk?
    const init = lab.lab.nodes.node1.init!.initPid;
    const pgOfNode1 = async () => {
      const out: number[] = [];
      for (const pid of await nodePids(lab.lab, 'node1')) {
        try {
          if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres' && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) out.push(pid);
        } catch {
          /* gone */
        }
      }
      return out;
    };
    const mountedOnNode1 = () => readFileSync(`/proc/${init}/mountinfo`, 'utf8').split('\n').some((l) => l.split(' ')[4] === mountPoint);
    expect((await pgOfNode1()).length).toBeGreaterThan(0);
    expect(mountedOnNode1()).toBe(true);
    const seen = new Set<string>();
    const node1Log = join(lab.lab.nodes.node1.home, 'log/engine.log');
    const logFrom = readFileSync(node1Log).length;
    const tResume = performance.now();
    await thaw(lab.lab, 'node1');
    let pgGoneMs: number | undefined;
    let unmountedMs: number | undefined;
    while (performance.now() - tResume < 20_000 && (pgGoneMs === undefined || unmountedMs === undefined || performance.now() - tResume < 5000)) {
      seen.add(await holder());
      if (pgGoneMs === undefined && (await pgOfNode1()).length === 0) pgGoneMs = performance.now() - tResume;
      if (unmountedMs === undefined && !mountedOnNode1()) unmountedMs = performance.now() - tResume;
      await sleep(20);
    }
    const lostLine = readFileSync(join(lab.lab.nodes.node1.home, 'log/engine.log'), 'utf8').split('\n').find((l) => /disk lease lost/.test(l)) ?? '(none)';
    console.log(`freeze: after resuming node1: its postgres processes were gone after ${pgGoneMs?.toFixed(0)} ms, the disk unmounted there after ${unmountedMs?.toFixed(0)} ms; lease holders seen meanwhile: ${[...seen].join(', ')}; node1 logged: ${lostLine.slice(25, 200)}`);
    // node1 never wrote the lease again: no record of node1, none of its generation (it held the one below node2's).
    // (node2 may release and take it again: when the links return, a group with storage is restarted on the node that keeps it.)
    const takenGen = Number(taken.split(':')[1]);
    expect([...seen].every((h) => !h.startsWith('node1:') && Number(h.split(':')[1]) >= takenGen), [...seen].join(', ')).toBe(true);
    expect(lostLine).toMatch(/disk lease lost: not renewed for \d+ ms/);
    // Bounded: the first renewal tick after resuming kills what uses the disk (generous bound for a loaded machine).
    expect(pgGoneMs).toBeLessThan(5000);
    expect(unmountedMs).toBeLessThan(20_000);
    // What follows the resume is the cluster's heal (a group with storage online on both is stopped on both and
    // started on the node that keeps it). node1 must not touch what node2 runs on the disk meanwhile (its offline
    // once removed node2's postmaster.pid, and node2's PostgreSQL then failed for good): the group is back on
    // node2, writable, and no acknowledged row is lost.
    const back = await lab.waitGroup({ node2: 'ONLINE' }, { group: GROUP, viewers: ['node2'], timeoutMs: 60_000 }).then(() => true, () => false);
    if (!back) console.log(`freeze: after the heal the group is not ONLINE on node2 again within 60 s\n${lab.dump(40)}`);
    expect(back).toBe(true);
    const healed = run.acked.size;
    await waitAcks(run, healed + 50, 30_000);
    await run.stop();
    const left = readFileSync(node1Log).subarray(logFrom).toString('utf8').split('\n').filter((l) => /postmaster.pid/.test(l));
    console.log(`freeze: node1's engine about postmaster.pid after resuming: ${left.map((l) => l.slice(25, 220)).join(' | ') || '(nothing)'}`);
    expect(left.join('\n')).not.toMatch(/removed stale/);
    await check('t_freeze', run, 'freeze');
  }, 240_000);
});
