// MirrorDisk against drbdadm/drbdsetup simulators (no DRBD kernel module
// here); the simulated DRBD device is a loop device with ext4, so the mount
// is real (root). Without root the cases run with MountPoint empty.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mirrorDiskAgent } from '../../src/engine/agents/mirror-disk.js';
import { mountsAt } from '../../src/system/mounts.js';
import { agentContract, makeTestContext } from '../helpers/agent-contract.js';

const SIM = resolve(import.meta.dirname, '../simulators');
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('agent-mirror-disk: not root: DRBD logic tested without mounting');
const work = mkdtempSync('/tmp/mccs-md-');
const statePath = join(work, 'drbd.json');
const saved = { PATH: process.env.PATH, DRBD_SIM_STATE: process.env.DRBD_SIM_STATE };
process.env.PATH = `${SIM}:${saved.PATH ?? '/usr/bin:/bin'}`;
process.env.DRBD_SIM_STATE = statePath;

let loop = '';
const mnt = join(work, 'mnt');
mkdirSync(mnt);
if (isRoot) {
  const img = join(work, 'drbd0.img');
  spawnSync('truncate', ['-s', '32M', img]);
  loop = spawnSync('losetup', ['-f', '--show', img], { encoding: 'utf8' }).stdout.trim();
  spawnSync('mkfs.ext4', ['-q', loop]);
}

afterAll(() => {
  if (isRoot) {
    while (mountsAt(mnt).length > 0 && spawnSync('umount', ['-l', mnt]).status === 0);
    if (loop) spawnSync('losetup', ['-d', loop]);
  }
  process.env.PATH = saved.PATH;
  if (saved.DRBD_SIM_STATE === undefined) delete process.env.DRBD_SIM_STATE;
  else process.env.DRBD_SIM_STATE = saved.DRBD_SIM_STATE;
  rmSync(work, { recursive: true, force: true });
});

type Conn = { name: string; state: string; peerRole?: string; peerDisk?: string; outOfSync?: number };
function setResource(r: { up?: boolean; role?: string; disk?: string; connections?: Conn[] } = {}): void {
  writeFileSync(
    statePath,
    JSON.stringify({
      resources: {
        r0: { up: false, role: 'Secondary', disk: 'UpToDate', minor: 0, device: loop || '/dev/null', connections: [{ name: 'nodeb', state: 'Connected', peerRole: 'Secondary', peerDisk: 'UpToDate' }], ...r },
      },
    }),
  );
}
const res = () => JSON.parse(readFileSync(statePath, 'utf8')).resources.r0;
setResource();

const ctx = (extra: Record<string, unknown> = {}, log?: string[]) =>
  makeTestContext({ home: work, attrs: { DrbdResource: 'r0', MountPoint: isRoot ? mnt : '', FSType: 'ext4', ...extra }, log });

agentContract('MirrorDisk r0 (DRBD simulator)', () => ctx(), mirrorDiskAgent, {
  afterOnline: () => {
    expect(res()).toMatchObject({ up: true, role: 'Primary' });
    if (isRoot) expect(mountsAt(mnt)).toHaveLength(1);
  },
  afterOffline: () => {
    expect(res()).toMatchObject({ up: true, role: 'Secondary' }); // stays up, replicating
    if (isRoot) expect(mountsAt(mnt)).toHaveLength(0);
  },
});

describe('MirrorDisk: what the operator sees', () => {
  it('the monitor reports role, disk, peer and out-of-sync', async () => {
    setResource({ up: true, role: 'Secondary', connections: [{ name: 'nodeb', state: 'Connected', peerRole: 'Primary', peerDisk: 'UpToDate', outOfSync: 2048 }] });
    expect(await mirrorDiskAgent.observe(ctx())).toEqual({ state: 'stopped', reason: 'r0 Secondary, disk UpToDate, nodeb Connected/UpToDate Primary, 2048 KiB out of sync' });
  });

  it('refuses to become Primary on an Outdated disk unless Force', async () => {
    setResource({ up: true, disk: 'Outdated', connections: [{ name: 'nodeb', state: 'Connecting' }] });
    await expect(mirrorDiskAgent.online(ctx())).rejects.toThrow(/refusing to make r0 Primary: local disk is Outdated .*set Force=true/);
    expect(res().role).toBe('Secondary');
    const log: string[] = [];
    await mirrorDiskAgent.online(ctx({ Force: true }, log));
    expect(res()).toMatchObject({ role: 'Primary', disk: 'UpToDate' });
    expect(log.join('\n')).toMatch(/forcing r0 Primary/);
    await mirrorDiskAgent.offline(ctx());
  });

  it('refuses an Inconsistent disk too', async () => {
    setResource({ up: true, disk: 'Inconsistent' });
    await expect(mirrorDiskAgent.online(ctx())).rejects.toThrow(/local disk is Inconsistent/);
  });

  it('reports a split brain clearly and does not make it worse', async () => {
    setResource({ up: true, connections: [{ name: 'nodeb', state: 'StandAlone' }] });
    const log: string[] = [];
    const obs = await mirrorDiskAgent.observe(ctx({}, log));
    expect(obs.reason).toMatch(/DRBD split brain suspected on r0: connection to nodeb is StandAlone/);
    expect(log.join('\n')).toMatch(/warning: DRBD split brain/);
    await expect(mirrorDiskAgent.online(ctx())).rejects.toThrow(/refusing to make r0 Primary: DRBD split brain suspected .*discard-my-data/);
  });

  it('passes DRBD\'s own refusal through when the peer is still Primary', async () => {
    setResource({ up: true, connections: [{ name: 'nodeb', state: 'Connected', peerRole: 'Primary', peerDisk: 'UpToDate' }] });
    await expect(mirrorDiskAgent.online(ctx())).rejects.toThrow(/drbdadm primary r0 failed: r0: State change failed: \(-1\) Multiple primaries not allowed by config/);
  });

  it('brings a resource that is down up first', async () => {
    setResource({ up: false });
    await mirrorDiskAgent.online(ctx());
    expect(res()).toMatchObject({ up: true, role: 'Primary' });
    await mirrorDiskAgent.offline(ctx());
  });

  it('a resource missing from the DRBD configuration, and a missing drbdadm: clear errors', async () => {
    await expect(mirrorDiskAgent.online(ctx({ DrbdResource: 'r9' }))).rejects.toThrow(/drbdadm up r9 failed: 'r9' not defined in your config/);
    const p = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(mirrorDiskAgent.observe(ctx())).rejects.toThrow(/install the Debian package drbd-utils/);
    } finally {
      process.env.PATH = p;
    }
  });

  it.runIf(isRoot)('a Primary whose file system was unmounted behind its back is failed; clean demotes it', async () => {
    setResource({ up: true });
    await mirrorDiskAgent.online(ctx());
    spawnSync('umount', [mnt]);
    expect(await mirrorDiskAgent.observe(ctx())).toMatchObject({ state: 'failed', reason: expect.stringMatching(/Primary but .* is not mounted/) });
    await mirrorDiskAgent.clean(ctx());
    expect(res().role).toBe('Secondary');
  });
});
