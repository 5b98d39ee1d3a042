// `mccs discover` in the two-node lab (issue 13): on node1 a real PostgreSQL
// 15 runs from a loop-mounted ext4 (the shared disk; block devices are
// global, so node2 sees it too) and a real application listens on TCP 8080
// from a script on that disk. Discovery finds the cluster (data directory,
// port, OS user, version), the file system (device, type, mount point,
// size), the listener (executable, arguments) and the interfaces; the
// proposal (NIC ← IP ← disk ← database ← application) validates against
// the running cluster, --apply adds it (dry run first, then --yes); after the
// operator's hand-over (application and PostgreSQL stopped, disk unmounted)
// the group comes online on node1 and switches to node2, where PostgreSQL
// and the application answer through the VIP.
//
// Root only. Cleanup, also on failure: the lab destroyed (its mount
// namespaces hold the only mounts), the loop device detached, files removed.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { ClusterLab, clusterConfig, IS_ROOT, NODE_NAMES, VIP4, type NodeName } from '../helpers/cluster-lab.js';
import { ROOT } from '../helpers/engine-harness.js';
import { exec, must, signal, sleep } from '../lab/exec.js';
import { bootNode, execInClient, execInNode, spawnInNode, type NodeProcess } from '../lab/lab.js';
import { lookupUser } from '../../src/system/os-user.js';
import { hasUser } from '../helpers/os-users.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const MiB = 1024 * 1024;
const MCCS = join(ROOT, 'bin/mccs.js');

function skipReason(): string | undefined {
  if (!IS_ROOT) return 'needs root (lab namespaces, losetup, mount)';
  if (!existsSync(`${PG_BIN}/initdb`)) return `${PG_BIN}/initdb missing (Debian package postgresql-15)`;
  if (!hasUser('postgres')) return 'no postgres OS user';
  return undefined;
}
const SKIP = skipReason();
if (SKIP) console.log(`discover-lab.test: skipped: ${SKIP}`);
const PSQL = existsSync(`${PG_BIN}/psql`) ? `${PG_BIN}/psql` : '/usr/bin/psql';

const pgIds = () => lookupUser('postgres');

const APP = `import { createServer } from 'node:net';
createServer((s) => s.end('app ' + (process.env.MCCS_NODE ?? '') + '\\n')).listen(8080, '0.0.0.0');
`;

describe.skipIf(SKIP !== undefined)('mccs discover in the lab: a real PostgreSQL on a loop-mounted disk and a real listener become a group that comes online', () => {
  let cl: ClusterLab | undefined;
  let work = '';
  let loop = '';
  let mnt = '';
  let app: NodeProcess | undefined;

  async function mccsIn(n: NodeName, args: string[]): Promise<{ code: number; json: any; out: string }> {
    const r = await execInNode(cl!.lab, n, process.execPath, [MCCS, ...args], { env: { ...process.env, MCCS_HOME: cl!.home(n), NODE_ENV: '' }, timeoutMs: 60_000 });
    let json: any = {};
    try {
      json = JSON.parse(r.stdout.split('\n')[0] ?? '');
    } catch {
      // shown by the assertion
    }
    return { code: r.exitCode, json, out: r.stdout + r.stderr };
  }

  beforeAll(async () => {
    work = mkdtempSync('/tmp/mccs-discover-lab-');
    chmodSync(work, 0o755); // postgres must reach the data directory
    const img = join(work, 'disk.img');
    await must('truncate', ['-s', '200M', img]);
    loop = (await must('losetup', ['--find', '--show', img])).trim();
    const size = Number((await must('blockdev', ['--getsize64', loop])).trim());
    // ext4 on all of it but the last MiB, the disk lease's (docs/agents.md, "Preparing the disk").
    await must('mkfs.ext4', ['-q', '-F', '-b', '4096', loop, String((size - MiB) / 4096)]);
    const hostMnt = join(work, 'mnt');
    mkdirSync(hostMnt);
    await must('mount', ['-t', 'ext4', loop, hostMnt]);
    chmodSync(hostMnt, 0o755);
    const { uid, gid } = pgIds();
    try {
      const data = join(hostMnt, 'data');
      mkdirSync(data, { mode: 0o700 });
      chownSync(data, uid, gid);
      await must('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', `${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=reject', '-E', 'UTF8', '--locale=C'], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' } });
      appendFileSync(join(data, 'postgresql.conf'), "\n# mccs lab (test only)\nlisten_addresses = '*'\n");
      writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 10.213.0.200/32 trust\nhost all all 0.0.0.0/0 reject\n');
      chownSync(join(data, 'pg_hba.conf'), uid, gid);
      mkdirSync(join(hostMnt, 'app'));
      writeFileSync(join(hostMnt, 'app/server.mjs'), APP);
    } finally {
      await must('umount', [hostMnt]);
    }
    const base = clusterConfig({ ConfigVersion: 1 });
    base.Groups = [];
    // Offline monitors off: the hand-over (stop, unmount) after --apply must not race an UNEXPECTED_ONLINE.
    base.Types = { ...base.Types, Process: { MonitorInterval: 1, OfflineMonitorInterval: 0 }, SharedDisk: { MonitorInterval: 2, OfflineMonitorInterval: 0 }, PostgreSQL: { MonitorInterval: 2, OfflineMonitorInterval: 0 } };
    cl = await ClusterLab.create('dsc', base as MainConfig);
    mnt = join(cl.lab.dir, 'pgdisk');
    mkdirSync(mnt, { recursive: true });
    for (const n of NODE_NAMES) {
      await bootNode(cl.lab, n);
      const dir = join(cl.lab.nodes[n].run, 'postgresql');
      mkdirSync(dir, { recursive: true });
      chownSync(dir, uid, gid);
    }
    await cl.startBoth('running');
    // What the operator already runs on node1: the disk, PostgreSQL, the application.
    await must('nsenter', ['-t', String(cl.engines.node1!.pid), '-m', '--', 'mount', '-t', 'ext4', loop, mnt]);
    const pg = await execInNode(cl.lab, 'node1', 'setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', `${PG_BIN}/pg_ctl`, '-D', join(mnt, 'data'), '-l', join(mnt, 'data', 'startup.log'), '-o', '-p 5432 -k /run/postgresql', '-w', 'start'], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' }, timeoutMs: 60_000 });
    expect(pg.exitCode, pg.stdout + pg.stderr).toBe(0);
    app = await spawnInNode(cl.lab, 'node1', { command: process.execPath, args: [join(mnt, 'app/server.mjs')], cwd: '/' });
    await sleep(500);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump(60)}`);
  });

  afterAll(async () => {
    await cl?.destroy();
    if (loop) {
      const backing = `/sys/block/${loop.replace('/dev/', '')}/loop/backing_file`;
      for (let i = 0; i < 100 && existsSync(backing); i++) {
        await exec('losetup', ['-d', loop]);
        if (existsSync(backing)) await sleep(100);
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('mccs discover --json on node1 lists the PostgreSQL cluster, the file system, the listener and the interfaces, with evidence', async () => {
    const r = await mccsIn('node1', ['discover', '--json']);
    expect(r.code, r.out).toBe(0);
    const d = r.json.result;
    expect(d.postgresql).toEqual([expect.objectContaining({ dataDir: join(mnt, 'data'), port: 5432, osUser: 'postgres', version: '15', binDir: PG_BIN })]);
    expect(d.postgresql[0].evidence.join('\n')).toMatch(/postmaster\.pid/);
    expect(d.fileSystems).toEqual([expect.objectContaining({ device: loop, fsType: 'ext4', mountPoint: mnt })]);
    expect(d.fileSystems[0].sizeBytes).toBeGreaterThan(150 * MiB);
    const app = d.listeners.find((l: { port: number }) => l.port === 8080);
    expect(app).toMatchObject({ exe: process.execPath, args: [process.execPath, join(mnt, 'app/server.mjs')], user: 'root' });
    expect(d.listeners.some((l: { port: number; exe: string }) => l.port === 5432 && l.exe === `${PG_BIN}/postgres`)).toBe(true);
    expect(d.interfaces.find((i: { name: string }) => i.name === 'eth0').addresses.map((a: { address: string }) => a.address)).toContain('10.213.0.1');
  }, 60_000);

  it('mccs discover --propose app --vip 10.213.0.100/24: NIC(eth0, the PrimaryHB interface) ← IP ← SharedDisk ← PostgreSQL ← Process, valid against the cluster', async () => {
    const r = await mccsIn('node1', ['discover', '--propose', 'app', '--vip', `${VIP4}/24`, '--json']);
    expect(r.code, r.out).toBe(0);
    const g = r.json.result.group;
    expect(g.NodeList).toEqual(['node1', 'node2']);
    expect(g.Resources.map((x: { Type: string }) => x.Type)).toEqual(['NIC', 'IP', 'SharedDisk', 'PostgreSQL', 'Process']);
    expect(g.Resources[0]).toMatchObject({ Device: 'eth0' });
    expect(g.Resources[2]).toMatchObject({ Device: loop, MountPoint: mnt, FSType: 'ext4' });
    expect(g.Resources[3]).toMatchObject({ DataDir: join(mnt, 'data'), Port: 5432, OsUser: 'postgres', PgBinDir: PG_BIN });
    expect(g.Resources[4]).toMatchObject({ Path: process.execPath, Arguments: [join(mnt, 'app/server.mjs')] });
    expect(g.Dependencies).toEqual([
      { Parent: 'app-ip', Child: 'app-nic' },
      { Parent: 'app-disk', Child: 'app-ip' },
      { Parent: 'app-db', Child: 'app-disk' },
      { Parent: 'app-app', Child: 'app-db' },
    ]);
    expect(r.json.result.check).toEqual({ valid: true });
  }, 60_000);

  it('--apply: a dry run without --yes, then --yes adds it; after the hand-over the group comes online on node1 and switches to node2', async () => {
    const dry = await mccsIn('node1', ['discover', '--propose', 'app', '--vip', `${VIP4}/24`, '--apply', '--json']);
    expect(dry.code, dry.out).toBe(0);
    expect(dry.json).toMatchObject({ ok: true, changed: false, result: { dryRun: true, check: { valid: true } } });
    expect(cl!.readConfig('node1').Groups).toEqual([]);

    const add = await mccsIn('node1', ['discover', '--propose', 'app', '--vip', `${VIP4}/24`, '--apply', '--yes', '--json']);
    expect(add.code, add.out).toBe(0);
    expect(add.json.changed).toBe(true);
    await cl!.waitFor('the group on node2 too', () => cl!.readConfig('node2').Groups.some((g) => g.GroupName === 'app'), 10_000);

    // The hand-over: the operator stops what runs and unmounts (a disk mounted without the engine's lease is never adopted).
    signal(app!.pid, 'SIGTERM');
    await app!.exited;
    const { uid, gid } = pgIds();
    const stop = await execInNode(cl!.lab, 'node1', 'setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', `${PG_BIN}/pg_ctl`, '-D', join(mnt, 'data'), '-m', 'fast', '-w', 'stop'], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' }, timeoutMs: 60_000 });
    expect(stop.exitCode, stop.stdout + stop.stderr).toBe(0);
    await must('nsenter', ['-t', String(cl!.engines.node1!.pid), '-m', '--', 'umount', mnt]);

    const on = await cl!.rpc('node1', 'grp.online', { group: 'app', node: 'node1', wait: true, timeout: 120 });
    expect(on.ok, JSON.stringify(on)).toBe(true);
    await cl!.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { group: 'app', timeoutMs: 60_000 });

    const sw = await cl!.rpc('node1', 'grp.switch', { group: 'app', node: 'node2', wait: true, timeout: 180 });
    expect(sw.ok, JSON.stringify(sw)).toBe(true);
    await cl!.waitGroup({ node1: 'OFFLINE', node2: 'ONLINE' }, { group: 'app', timeoutMs: 60_000 });
    // Through the VIP, from the client: PostgreSQL and the application answer from node2.
    await cl!.waitFor('PostgreSQL through the VIP', async () => {
      const q = await execInClient(cl!.lab, PSQL, ['-X', '-A', '-t', '-h', VIP4, '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT 1'], { timeoutMs: 15_000, env: { ...process.env, PGCONNECT_TIMEOUT: '3' } });
      return q.exitCode === 0 && q.stdout.trim() === '1';
    }, 30_000, 300);
    const probe = await execInClient(cl!.lab, process.execPath, ['-e', `require('net').connect(8080, '${VIP4}').on('data', (d) => { process.stdout.write(d); process.exit(0); }).on('error', () => process.exit(1))`], { timeoutMs: 10_000 });
    expect(probe.stdout.trim()).toBe('app node2');
  }, 300_000);
});
