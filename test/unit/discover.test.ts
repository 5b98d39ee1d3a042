// `mccs discover` on a prepared node: a tree standing for / (procfs files,
// postmaster.pid, oratab, mountinfo, /sys/class/block) and a scripted
// runner for systemctl and ip. The operator's story: a PostgreSQL cluster
// on a separate disk, an application started from that disk, an Oracle
// instance with its listener, a container's bind mounts and a /boot
// partition of the root disk that must not be proposed.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../src/discover/discover.js';
import { localHost } from '../../src/discover/host.js';
import { decodeAddress, parseProcNetTcp } from '../../src/discover/listeners.js';
import { propose } from '../../src/discover/propose.js';
import type { Discovery } from '../../src/discover/types.js';
import { absenceWarning, suggest } from '../../src/init/suggest.js';
import type { Question } from '../../src/init/questions.js';
import { validateConfig } from '../../src/model/config.js';
import type { MainConfig } from '../../src/model/types.js';
import { RecordingRunner } from '../helpers/recording-runner.js';

let root = '';
const file = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};
const link = (path: string, target: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  symlinkSync(target, join(root, path));
};
function proc(pid: number, o: { comm: string; args: string[]; uid: number; exe: string; cwd: string; ppid?: number; sockets?: number[]; environ?: string[] }) {
  file(`/proc/${pid}/stat`, `${pid} (${o.comm}) S ${o.ppid ?? 1} ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0\n`);
  file(`/proc/${pid}/cmdline`, `${o.args.join('\0')}\0`);
  file(`/proc/${pid}/status`, `Name:\t${o.comm}\nUid:\t${o.uid}\t${o.uid}\t${o.uid}\t${o.uid}\n`);
  file(`/proc/${pid}/environ`, (o.environ ?? []).join('\0'));
  link(`/proc/${pid}/exe`, o.exe);
  link(`/proc/${pid}/cwd`, o.cwd);
  mkdirSync(join(root, `/proc/${pid}/fd`), { recursive: true });
  (o.sockets ?? []).forEach((inode, i) => link(`/proc/${pid}/fd/${i + 3}`, `socket:[${inode}]`));
}

const runner = new RecordingRunner();
let found: Discovery;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mccs-discover-'));
  // The passwd database as getent prints it (NSS: /etc/passwd, LDAP, …), for the uids asked.
  const passwd = ['root:x:0:0::/root:/bin/sh', 'postgres:x:105:110::/var/lib/postgresql:/bin/sh', 'oracle:x:1001:1001::/home/oracle:/bin/sh', 'app:x:1002:1002::/srv:/bin/sh'];
  runner.on(['getent', 'passwd'], (c) => ({ stdout: passwd.filter((l) => c.args.slice(1).includes(l.split(':')[2]!)).join('\n') }));
  // PostgreSQL 15 on /srv/pg (a separate disk): the postmaster and one backend.
  proc(812, { comm: 'postgres', args: ['/usr/lib/postgresql/15/bin/postgres', '-D', '/srv/pg/data', '-p', '5433'], uid: 105, exe: '/usr/lib/postgresql/15/bin/postgres', cwd: '/srv/pg/data', sockets: [5001] });
  proc(813, { comm: 'postgres', args: ['postgres: checkpointer '], uid: 105, exe: '/usr/lib/postgresql/15/bin/postgres', cwd: '/srv/pg/data', ppid: 812 });
  file('/srv/pg/data/postmaster.pid', '812\n/srv/pg/data\n1733040000\n5433\n/run/postgresql\n*\n  5433001         0\nready   \n');
  file('/srv/pg/data/PG_VERSION', '15\n');
  // A stale postmaster.pid of a cluster that is not running.
  file('/srv/old/postmaster.pid', '999\n/srv/old\n1\n5434\n');
  // The application, started from the disk, listening on 8080.
  proc(900, { comm: 'node', args: ['/usr/bin/node', '/srv/pg/app/server.mjs', '--port', '8080'], uid: 1002, exe: '/usr/bin/node', cwd: '/srv/pg/app', sockets: [5002] });
  // sshd on 22: listens, but runs from the root disk.
  proc(300, { comm: 'sshd', args: ['sshd: /usr/sbin/sshd -D [listener]'], uid: 0, exe: '/usr/sbin/sshd', cwd: '/', sockets: [5003] });
  // Oracle: pmon of ORCL and a listener.
  proc(1200, { comm: 'ora_pmon_orcl', args: ['ora_pmon_ORCL'], uid: 1001, exe: '/u01/app/oracle/product/19/bin/oracle', cwd: '/', environ: ['ORACLE_SID=ORCL', 'ORACLE_HOME=/u01/app/oracle/product/19'] });
  proc(1300, { comm: 'tnslsnr', args: ['/u01/app/oracle/product/19/bin/tnslsnr', 'LISTENER', '-inherit'], uid: 1001, exe: '/u01/app/oracle/product/19/bin/tnslsnr', cwd: '/' });
  file('/etc/oratab', '# comment\nORCL:/u01/app/oracle/product/19:Y\nTEST:/u01/app/oracle/product/19:N\n');
  file('/proc/net/tcp', [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:1539 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 5001 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1002        0 5002 1 0000000000000000 100 0 0 10 0',
    '   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5003 1 0000000000000000 100 0 0 10 0',
    '   3: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1002        0 5004 1 0000000000000000 100 0 0 10 0',
    '',
  ].join('\n'));
  file('/proc/net/tcp6', '  sl  local_address                         remote_address                        st\n');
  file('/proc/self/mountinfo', [
    '22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
    '23 22 252:2 / /boot rw,relatime shared:2 - ext4 /dev/vda2 rw',
    '24 22 252:1 /var/lib/docker/containers/abc/hosts /etc/hosts rw - ext4 /dev/vda1 rw',
    '25 22 7:3 / /srv/pg rw,relatime shared:3 - ext4 /dev/loop3 rw',
    '26 22 0:5 / /dev/shm rw - tmpfs tmpfs rw',
    '',
  ].join('\n'));
  for (const p of ['vda1', 'vda2']) {
    file(`/sys/devices/virtio/block/vda/${p}/partition`, '1\n');
    link(`/sys/class/block/${p}`, `../../devices/virtio/block/vda/${p}`);
  }
  mkdirSync(join(root, '/sys/devices/virtual/block/loop3'), { recursive: true });
  link('/sys/class/block/loop3', '../../devices/virtual/block/loop3');
  mkdirSync(join(root, '/boot'), { recursive: true });
  runner.once(['systemctl', 'list-units'], { stdout: 'nginx.service loaded active running A high performance web server\ncron.service loaded active running Regular background program processing daemon\ndbus.service loaded active running D-Bus System Message Bus\n' });
  runner.once(['systemctl', 'list-unit-files'], { stdout: 'nginx.service enabled enabled\ncron.service enabled enabled\nssh.service enabled enabled\n' });
  runner.once(['ip', '-j', 'addr'], {
    stdout: JSON.stringify([
      { ifname: 'lo', flags: ['LOOPBACK', 'UP'], operstate: 'UNKNOWN', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
      { ifname: 'ens3', flags: ['UP'], operstate: 'UP', addr_info: [{ family: 'inet', local: '10.0.0.1', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
      { ifname: 'ens4', flags: ['UP'], operstate: 'UP', addr_info: [{ family: 'inet', local: '10.0.1.1', prefixlen: 24 }] },
    ]),
  });
  found = await discover(localHost(runner, root));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('mccs discover', () => {
  it('finds the running PostgreSQL cluster from its postmaster and postmaster.pid: data dir, port, OS user, version', () => {
    expect(found.postgresql).toHaveLength(1);
    expect(found.postgresql[0]).toMatchObject({ dataDir: '/srv/pg/data', port: 5433, osUser: 'postgres', version: '15', pid: 812, binDir: '/usr/lib/postgresql/15/bin', socketDir: '/run/postgresql' });
    expect(found.postgresql[0]!.evidence.join('\n')).toMatch(/postmaster\.pid: pid 812, port 5433/);
  });

  it('finds the Oracle instance (ora_pmon_*, oratab) and its listener', () => {
    expect(found.oracle.instances).toEqual([expect.objectContaining({ sid: 'ORCL', oracleHome: '/u01/app/oracle/product/19', osUser: 'oracle', oratab: { home: '/u01/app/oracle/product/19', autostart: true } })]);
    expect(found.oracle.listeners).toEqual([expect.objectContaining({ name: 'LISTENER', oracleHome: '/u01/app/oracle/product/19', osUser: 'oracle' })]);
  });

  it('lists systemd services that are enabled and active (not enabled only, not active only)', () => {
    expect(found.services.map((s) => s.unit)).toEqual(['nginx.service', 'cron.service']);
  });

  it('lists TCP listeners with the executable, arguments and user of their process', () => {
    const byPort = Object.fromEntries(found.listeners.map((l) => [l.port, l]));
    expect(Object.keys(byPort).map(Number)).toEqual([22, 5433, 8080]);
    expect(byPort[8080]).toMatchObject({ address: '127.0.0.1', pid: 900, exe: '/usr/bin/node', args: ['/usr/bin/node', '/srv/pg/app/server.mjs', '--port', '8080'], user: 'app', cwd: '/srv/pg/app' });
    expect(byPort[5433]).toMatchObject({ address: '0.0.0.0', pid: 812, user: 'postgres' });
  });

  it('lists file systems on block devices other than the root disk (not /boot of the root disk, not bind mounts, not tmpfs)', () => {
    expect(found.fileSystems.map((f) => [f.device, f.fsType, f.mountPoint])).toEqual([['/dev/loop3', 'ext4', '/srv/pg']]);
    expect(found.fileSystems[0]!.sizeBytes).toBeGreaterThan(0);
  });

  it('lists interfaces with their addresses (loopback left out)', () => {
    expect(found.interfaces.map((i) => [i.name, i.addresses.map((a) => `${a.address}/${a.prefix}`)])).toEqual([
      ['ens3', ['10.0.0.1/24', 'fe80::1/64']],
      ['ens4', ['10.0.1.1/24']],
    ]);
  });

  it('decodes /proc/net/tcp6 addresses', () => {
    expect(decodeAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeAddress('B80D01200000000000000000010000FD')).toBe('2001:db8::fd00:1');
    expect(parseProcNetTcp('h\n 0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 77 1\n')).toEqual([{ address: '::', port: 8080, inode: 77 }]);
  });
});

describe('mccs discover --propose', () => {
  const base: MainConfig = {
    ConfigVersion: 3,
    Cluster: { ClusterName: 'shop' },
    Nodes: [
      { NodeName: 'db1', PrimaryHB: '10.0.0.1', SecondaryHB: '10.0.1.1' },
      { NodeName: 'db2', PrimaryHB: '10.0.0.2', SecondaryHB: '10.0.1.2' },
    ],
    Groups: [],
  };

  it('proposes NIC ← IP ← disk ← database ← application, filled from the findings, that validates', () => {
    const { group, reasons } = propose(found, { group: 'pg', nodes: ['db1', 'db2'], primaryHB: '10.0.0.1', vip: '10.0.0.100' });
    expect(group.Resources).toEqual([
      { ResName: 'pg-nic', Type: 'NIC', Device: 'ens3' },
      { ResName: 'pg-ip', Type: 'IP', NICResName: 'pg-nic', Address: '10.0.0.100', Prefix: 24, Critical: true },
      { ResName: 'pg-disk', Type: 'SharedDisk', Device: '/dev/loop3', MountPoint: '/srv/pg', FSType: 'ext4', Critical: true },
      { ResName: 'pg-db', Type: 'PostgreSQL', DataDir: '/srv/pg/data', Port: 5433, OsUser: 'postgres', PgBinDir: '/usr/lib/postgresql/15/bin', SocketDir: '/run/postgresql', Critical: true },
      { ResName: 'pg-app', Type: 'Process', Path: '/usr/bin/node', Arguments: ['/srv/pg/app/server.mjs', '--port', '8080'], StartupDirectory: '/srv/pg/app', User: 'app', Critical: true },
    ]);
    expect(group.Dependencies).toEqual([
      { Parent: 'pg-ip', Child: 'pg-nic' },
      { Parent: 'pg-disk', Child: 'pg-ip' },
      { Parent: 'pg-db', Child: 'pg-disk' },
      { Parent: 'pg-app', Child: 'pg-db' },
    ]);
    expect(reasons.join('\n')).toMatch(/NIC ens3: it carries this node's PrimaryHB 10\.0\.0\.1/);
    const v = validateConfig({ ...base, Groups: [group] });
    expect(v.ok, JSON.stringify(v)).toBe(true);
  });

  it('--port chooses the application; without --vip there is no IP and the reasons say how to add one', () => {
    const { group, reasons } = propose(found, { group: 'g', nodes: ['db1', 'db2'], primaryHB: '10.0.0.1', port: 22 });
    expect(group.Resources.find((r) => r.Type === 'Process')).toMatchObject({ Path: '/usr/sbin/sshd' });
    expect(group.Resources.some((r) => r.Type === 'IP')).toBe(false);
    expect(reasons).toContain('no virtual IP: give --vip ADDRESS/PREFIX for one');
  });

  it('an Oracle-only host gets Oracle + OracleListener', () => {
    const oracleOnly: Discovery = { ...found, postgresql: [] };
    const { group } = propose(oracleOnly, { group: 'ora', nodes: ['db1', 'db2'], primaryHB: '10.0.0.1', vip: '10.0.0.100/24', port: 8080 });
    expect(group.Resources.find((r) => r.Type === 'Oracle')).toMatchObject({ SID: 'ORCL', OracleHome: '/u01/app/oracle/product/19', OracleUser: 'oracle' });
    expect(group.Resources.find((r) => r.Type === 'OracleListener')).toMatchObject({ ListenerName: 'LISTENER' });
    expect(validateConfig({ ...base, Groups: [group] }).ok).toBe(true);
  });
});

describe('mccs init wizard suggestions from discovery', () => {
  const q = (name: string, validate: Question['validate'], dflt?: string): Question => ({ name, message: name, validate, ...(dflt ? { default: dflt } : {}) });

  it('proposes the interface that carries the PrimaryHB answer, never a template default absent here', () => {
    expect(suggest(found, q('NIC', 'interface', 'eth0'), { NODE1_PRIMARY_HB: '10.0.0.1' })?.value).toBe('ens3');
    expect(suggest(found, q('NIC', 'interface', 'eth0'), { NODE1_PRIMARY_HB: '10.9.9.1', NODE2_PRIMARY_HB: '10.0.1.1' })?.value).toBe('ens4');
    expect(absenceWarning(q('NIC', 'interface'), 'eth0', found, () => true)).toMatch(/no interface eth0 on this host \(interfaces: ens3, ens4\)/);
  });

  it('proposes the block device, mount point, data directory and port found', () => {
    expect(suggest(found, q('DEVICE', 'abs-path'), {})?.value).toBe('/dev/loop3');
    expect(suggest(found, q('MOUNT_POINT', 'abs-path'), {})?.value).toBe('/srv/pg');
    expect(suggest(found, q('DATA_DIR', 'abs-path'), {})?.value).toBe('/srv/pg/data');
    expect(suggest(found, q('PG_PORT', 'port'), {})?.value).toBe('5433');
    expect(suggest(found, q('ORACLE_SID', 'word'), {})?.value).toBe('ORCL');
  });

  it('warns at once about a device or directory that does not exist here', () => {
    expect(absenceWarning(q('DEVICE', 'abs-path'), '/dev/nonexistent', found, () => false)).toBe('DEVICE: the device /dev/nonexistent does not exist on this host (block devices with file systems here: /dev/loop3)');
    expect(absenceWarning(q('DATA_DIR', 'abs-path'), '/nope', found, () => false)).toMatch(/the directory \/nope does not exist/);
    expect(absenceWarning(q('DEVICE', 'abs-path'), '/dev/loop3', found, () => true)).toBeUndefined();
  });
});
