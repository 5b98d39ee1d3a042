// SharedDisk for real on loop devices (root): mount, write probe, the disk
// lease, a lost lease, a takeover that waits for staleness, processes that
// keep the disk busy, and bad input.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DdLeaseIO, encodeRecord } from '../../src/engine/agents/disk-lease.js';
import { heldLease, leaseWatch, sharedDiskAgent } from '../../src/engine/agents/shared-disk.js';
import { mountsAt } from '../../src/system/mounts.js';
import { reservationKey } from '../../src/engine/agents/scsi-reservation.js';
import type { Runner } from '../../src/engine/runner.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { agentContract, makeTestContext } from '../helpers/agent-contract.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('agent-shared-disk: skipped: needs root (losetup, mount)');

const MiB = 1024 * 1024;
const work = isRoot ? mkdtempSync('/tmp/mccs-sd-') : '/nonexistent';
const loops: string[] = [];
const children: ChildProcess[] = [];
const mountPoints: string[] = [];

function loopDevice(name: string, sizeMiB: number, mkfs?: string[]): string {
  const file = join(work, `${name}.img`);
  writeFileSync(file, '');
  spawnSync('truncate', ['-s', `${sizeMiB}M`, file]);
  const r = spawnSync('losetup', ['-f', '--show', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`losetup: ${r.stderr}`);
  const dev = r.stdout.trim();
  loops.push(dev);
  if (mkfs) {
    const m = spawnSync(mkfs[0]!, [...mkfs.slice(1).map((a) => a.replace('DEV', dev))], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`${mkfs.join(' ')}: ${m.stderr}`);
  }
  return dev;
}

function dir(name: string): string {
  const p = join(work, name);
  mkdirSync(p, { recursive: true });
  mountPoints.push(p);
  return p;
}

afterAll(async () => {
  if (!isRoot) return;
  for (const c of children) c.kill('SIGKILL');
  for (const n of ['node1', 'node2', 'node3']) {
    await heldLease({ nodeName: n, resName: 'disk' })?.stop();
    leaseWatch({ nodeName: n, resName: 'disk' })?.stop();
  }
  for (const mp of mountPoints) while (mountsAt(mp).length > 0 && spawnSync('umount', ['-l', mp]).status === 0);
  for (const l of loops) spawnSync('losetup', ['-d', l]);
  rmSync(work, { recursive: true, force: true });
});

// 64 MiB device, ext4 on all of it but the last MiB (the lease area): 15 * 1024 blocks of 4 KiB.
const disk = isRoot ? loopDevice('shared', 64, ['mkfs.ext4', '-q', '-b', '4096', 'DEV', String(63 * 256)]) : '';
const mnt = isRoot ? dir('mnt') : '';
const attrs = (extra: Record<string, unknown> = {}) => ({ Device: disk, MountPoint: mnt, FSType: 'ext4', LeaseRenewInterval: 200, LeaseStaleIntervals: 4, ...extra });
const ctx = (o: { node?: string; extra?: Record<string, unknown>; log?: string[]; onExit?: (r: string) => void; deadlineMs?: number; runner?: Runner } = {}) =>
  makeTestContext({ home: work, attrs: attrs(o.extra), resName: 'disk', nodeName: o.node ?? 'node1', log: o.log, onUnexpectedExit: o.onExit, deadlineMs: o.deadlineMs ?? 20_000, runner: o.runner });
const leaseIO = () => new DdLeaseIO(new ExecRunner(), disk, 63 * MiB);

describe.skipIf(!isRoot)('SharedDisk on a loop device', () => {
  agentContract('SharedDisk ext4 (loop device)', () => ctx(), sharedDiskAgent, {
    afterOnline: async () => {
      expect(mountsAt(mnt)).toHaveLength(1);
      expect(heldLease({ nodeName: 'node1', resName: 'disk' })?.held).toBe(true);
    },
    afterOnlineAgain: () => expect(mountsAt(mnt)).toHaveLength(1),
    afterOffline: async () => {
      expect(mountsAt(mnt)).toHaveLength(0);
      const blk = await new DdLeaseIO(new ExecRunner(), disk, 63 * MiB).read();
      expect(blk).toMatch(/^MCCSLEASE1 owner= gen=\d+/); // released
    },
  });

  describe('the disk lease', () => {
    it('a lease taken by another node is noticed on the next renewal: the engine is told, the monitor fails, clean does not release it', async () => {
      const exits: string[] = [];
      await sharedDiskAgent.online(ctx({ onExit: (r) => exits.push(r) }));
      const before = await sharedDiskAgent.observe(ctx());
      expect(before.state).toBe('running');
      await leaseIO().write(encodeRecord({ owner: 'node2', generation: 99, counter: 1 }));
      for (let i = 0; i < 40 && exits.length === 0; i++) await sleep(50);
      expect(exits[0]).toMatch(/disk lease lost: now held by node2/);
      expect(await sharedDiskAgent.observe(ctx())).toMatchObject({ state: 'failed', reason: expect.stringMatching(/lease lost/) });
      await sharedDiskAgent.clean(ctx());
      expect(mountsAt(mnt)).toHaveLength(0);
      expect(await leaseIO().read()).toMatch(/^MCCSLEASE1 owner=node2 gen=99/);
      // Release it as node2 would, for the next tests.
      await leaseIO().write(encodeRecord({ owner: '', generation: 99, counter: 2 }));
    });

    it('after a node dies holding the lease, the other node waits until it is stale, then takes over', async () => {
      await sharedDiskAgent.online(ctx({ node: 'node1' }));
      // node1 "dies": its renewals stop and its mount vanishes with it.
      await heldLease({ nodeName: 'node1', resName: 'disk' })!.stop();
      spawnSync('umount', [mnt]);
      const t0 = performance.now();
      await expect(sharedDiskAgent.online(ctx({ node: 'node2', deadlineMs: 3000 }))).rejects.toThrow(/can only be taken over after 800 ms without renewal|held by node1/);
      await sharedDiskAgent.online(ctx({ node: 'node2' }));
      expect(performance.now() - t0).toBeGreaterThan(800);
      expect(await sharedDiskAgent.observe(ctx({ node: 'node2' }))).toMatchObject({ state: 'running' });
      await sharedDiskAgent.offline(ctx({ node: 'node2' }));
    });
  });

  describe('fast and safe takeover', () => {
    it('a standby that watched the lease waits only for what is left of the stale period', async () => {
      // node2 is the standby: its probe (before node1 mounts: the two "nodes" share one mount table here) starts the watch.
      expect(await sharedDiskAgent.observe(ctx({ node: 'node2' }))).toMatchObject({ state: 'stopped' });
      expect(leaseWatch({ nodeName: 'node2', resName: 'disk' })?.active).toBe(true);
      await sharedDiskAgent.online(ctx({ node: 'node1' }));
      await sleep(400);
      expect(leaseWatch({ nodeName: 'node2', resName: 'disk' })?.sighting?.block).toMatchObject({ kind: 'record', record: { owner: 'node1' } });
      // node1 dies; the takeover is decided after a detection time longer than the stale period (800 ms).
      await heldLease({ nodeName: 'node1', resName: 'disk' })!.stop();
      spawnSync('umount', [mnt]);
      await sleep(1000);
      const log: string[] = [];
      const t0 = performance.now();
      await sharedDiskAgent.online(ctx({ node: 'node2', log }));
      const took = performance.now() - t0;
      expect(log.join('\n')).toMatch(/ms of it already watched/);
      // Only the acquisition check (1.5 renewal periods = 300 ms) and the mount: no 800 ms stale wait.
      expect(took).toBeLessThan(800);
      expect(leaseWatch({ nodeName: 'node2', resName: 'disk' })).toBeUndefined();
      expect(await sharedDiskAgent.observe(ctx({ node: 'node2' }))).toMatchObject({ state: 'running' });
      await sharedDiskAgent.offline(ctx({ node: 'node2' }));
    });

    it('a planned switch hands the lease to the next node: it takes it at once, any other node must wait', async () => {
      await sharedDiskAgent.online(ctx({ node: 'node1' }));
      await sharedDiskAgent.offline({ ...ctx({ node: 'node1' }), successor: 'node2' });
      expect(await leaseIO().read()).toMatch(/^MCCSLEASE1 owner= gen=\d+ counter=\d+ for=node2 /);
      await expect(sharedDiskAgent.online(ctx({ node: 'node3', deadlineMs: 1500 }))).rejects.toThrow(/released for node2.*can only be taken over after/);
      const log: string[] = [];
      const t0 = performance.now();
      await sharedDiskAgent.online(ctx({ node: 'node2', log }));
      expect(log.join('\n')).toMatch(/disk lease handed over to node2/);
      expect(performance.now() - t0).toBeLessThan(300); // no 1.5-period acquisition wait
      await sharedDiskAgent.offline(ctx({ node: 'node2' }));
      leaseWatch({ nodeName: 'node3', resName: 'disk' })?.stop();
    });

    it('a frozen holder: the lease is lost on its first renewal after resuming; it never writes again and kills what uses the disk', async () => {
      const exits: string[] = [];
      await sharedDiskAgent.online(ctx({ node: 'node1', onExit: (r) => exits.push(r) }));
      const user = spawn('sleep', ['300'], { cwd: mnt, stdio: 'ignore' });
      children.push(user);
      await sleep(100);
      const lease = heldLease({ nodeName: 'node1', resName: 'disk' })!;
      // Freeze: block this process's event loop longer than the hold time (600 ms) — the monotonic clock runs on.
      const until = performance.now() + 900;
      while (performance.now() < until) { /* frozen */ }
      const writes = lease.writes;
      for (let i = 0; i < 40 && exits.length === 0; i++) await sleep(25);
      expect(exits[0]).toMatch(/disk lease lost: not renewed for \d+ ms/);
      expect(lease.writes).toBe(writes);
      for (let i = 0; i < 40 && user.exitCode === null && user.signalCode === null; i++) await sleep(25);
      expect(user.signalCode).toBe('SIGKILL');
      await sharedDiskAgent.clean(ctx({ node: 'node1' }));
      expect(mountsAt(mnt)).toHaveLength(0);
      // Lost, so not released: free it as the taker would have, for the next tests.
      const blk = await leaseIO().read();
      const m = /gen=(\d+) counter=(\d+)/.exec(blk)!;
      await leaseIO().write(encodeRecord({ owner: '', generation: Number(m[1]), counter: Number(m[2]) + 1 }));
    });

    it('LeaseDevice: the lease on a separate small device; the file system may fill its own device', async () => {
      const data = loopDevice('data-full', 16, ['mkfs.ext4', '-q', '-b', '4096', 'DEV']);
      const leaseDev = loopDevice('lease', 1);
      const extra = { Device: data, LeaseDevice: leaseDev };
      await sharedDiskAgent.online(ctx({ node: 'node1', extra }));
      expect(await new DdLeaseIO(new ExecRunner(), leaseDev, 0).read()).toMatch(/^MCCSLEASE1 owner=node1 /);
      expect(await sharedDiskAgent.observe(ctx({ node: 'node1', extra }))).toMatchObject({ state: 'running' });
      // The data device's tail is untouched (the file system is there).
      expect(await new DdLeaseIO(new ExecRunner(), data, 15 * MiB).read()).not.toMatch(/MCCSLEASE1/);
      await sharedDiskAgent.offline(ctx({ node: 'node1', extra }));
      expect(await new DdLeaseIO(new ExecRunner(), leaseDev, 0).read()).toMatch(/^MCCSLEASE1 owner= /);
      leaseWatch({ nodeName: 'node1', resName: 'disk' })?.stop();
      await expect(sharedDiskAgent.online(ctx({ node: 'node1', extra: { ...extra, LeaseDevice: '/dev/mccs-no-such-lease' } }))).rejects.toThrow(/LeaseDevice: device \/dev\/mccs-no-such-lease does not exist/);
    });

    describe('SCSI-3 reservation (sg_persist simulator)', () => {
      const SIM = join(import.meta.dirname, '../simulators');
      const statePath = join(work, 'pr.json');
      const nodeRunner = (node: string): Runner => {
        const real = new ExecRunner();
        return { run: (c, a, o = {}) => real.run(c, a, { ...o, env: { ...o.env, PATH: `${SIM}:${process.env.PATH}`, SG_PERSIST_STATE: statePath, SG_PERSIST_INITIATOR: node } }) };
      };
      // Each simulated sg_persist is a Node process: slower than the real tool on a loaded machine, so a longer hold time.
      const pr = (node: string, o: { log?: string[]; deadlineMs?: number } = {}) => ctx({ node, extra: { Reservation: 'SCSI3', LeaseRenewInterval: 500 }, runner: nodeRunner(node), ...o });
      const sim = () => JSON.parse(readFileSync(statePath, 'utf8')) as { devices: Record<string, { registrations: Record<string, string>; reservation: { key: string } | null; supported?: boolean }> };

      it('online reserves; a takeover preempts the old holder, whose monitor then fails; offline releases', async () => {
        await sharedDiskAgent.online(pr('node1'));
        expect(sim().devices[disk]).toMatchObject({ registrations: { node1: reservationKey('node1') }, reservation: { key: reservationKey('node1'), type: 5 } });
        expect(await sharedDiskAgent.observe(pr('node1'))).toMatchObject({ state: 'running', reason: expect.stringMatching(/SCSI-3 reservation held/) });
        // node1 dies holding both the lease and the reservation.
        await heldLease({ nodeName: 'node1', resName: 'disk' })!.stop();
        spawnSync('umount', [mnt]);
        const log: string[] = [];
        await sharedDiskAgent.online(pr('node2', { log }));
        expect(log.join('\n')).toMatch(new RegExp(`preempted ${reservationKey('node1')}`));
        expect(sim().devices[disk]!.registrations).toEqual({ node2: reservationKey('node2') });
        expect(await sharedDiskAgent.observe(pr('node2'))).toMatchObject({ state: 'running' });
        await sharedDiskAgent.offline(pr('node2'));
        expect(sim().devices[disk]).toMatchObject({ registrations: {}, reservation: null });
      });

      it('the disk is never mounted when the reservation cannot be taken; the lease is released again', async () => {
        const s = sim();
        s.devices[disk]!.supported = false;
        writeFileSync(statePath, JSON.stringify(s));
        await expect(sharedDiskAgent.online(pr('node1'))).rejects.toThrow(/sg_persist .* failed \(exit 9\): PR out: command not supported/);
        expect(mountsAt(mnt)).toHaveLength(0);
        expect(await leaseIO().read()).toMatch(/^MCCSLEASE1 owner= /);
        s.devices[disk]!.supported = true;
        writeFileSync(statePath, JSON.stringify(s));
      });
    });
  });

  describe('faults and bad input', () => {
    it('a process keeping the disk busy: offline names it; the forced clean ends it and unmounts', async () => {
      await sharedDiskAgent.online(ctx());
      const child = spawn('sleep', ['300'], { cwd: mnt, stdio: 'ignore' });
      children.push(child);
      await sleep(100);
      await expect(sharedDiskAgent.offline(ctx())).rejects.toThrow(new RegExp(`in use by pid ${child.pid} \\(sleep: cwd\\)`));
      const log: string[] = [];
      await sharedDiskAgent.clean(ctx({ log }));
      expect(log.join('\n')).toMatch(new RegExp(`ending processes holding .*pid ${child.pid}`));
      expect(mountsAt(mnt)).toHaveLength(0);
      expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    });

    it('ForceUnmount: offline ends the holders itself', async () => {
      await sharedDiskAgent.online(ctx());
      const child = spawn('sleep', ['300'], { cwd: mnt, stdio: 'ignore' });
      children.push(child);
      await sleep(100);
      await sharedDiskAgent.offline(ctx({ extra: { ForceUnmount: true } }));
      expect(mountsAt(mnt)).toHaveLength(0);
    });

    it('a file system that stops taking writes fails the write probe', async () => {
      await sharedDiskAgent.online(ctx());
      spawnSync('mount', ['-o', 'remount,ro', mnt]);
      expect(await sharedDiskAgent.observe(ctx())).toMatchObject({ state: 'failed', reason: expect.stringMatching(/write probe .*failed: EROFS/) });
      await sharedDiskAgent.clean(ctx());
      expect(mountsAt(mnt)).toHaveLength(0);
    });

    it('missing device', async () => {
      await expect(sharedDiskAgent.online(ctx({ extra: { Device: '/dev/mccs-no-such-disk' } }))).rejects.toThrow(/device \/dev\/mccs-no-such-disk does not exist/);
    });

    it('mount point in use', async () => {
      spawnSync('mount', ['-t', 'tmpfs', 'other', mnt]);
      try {
        await expect(sharedDiskAgent.online(ctx())).rejects.toThrow(/MountPoint .* is already in use: other \(tmpfs/);
      } finally {
        spawnSync('umount', [mnt]);
      }
    });

    it('wrong file system type', async () => {
      await expect(sharedDiskAgent.online(ctx({ extra: { FSType: 'xfs' } }))).rejects.toThrow(/holds an ext file system, not xfs/);
      const blank = loopDevice('blank', 16);
      await expect(sharedDiskAgent.online(ctx({ extra: { Device: blank } }))).rejects.toThrow(/holds no ext2\/3\/4 or xfs file system, not ext4/);
    });

    it('a file system covering the lease area is refused, with the mkfs command that leaves it free', async () => {
      const full = loopDevice('full', 16, ['mkfs.ext4', '-q', '-b', '4096', 'DEV']);
      await expect(sharedDiskAgent.online(ctx({ extra: { Device: full } }))).rejects.toThrow(/covers the disk lease area .*mkfs.ext4 -b 4096 .* 3840/);
      // Nothing was mounted or written.
      expect(mountsAt(mnt)).toHaveLength(0);
    });
  });
});

describe.skipIf(!isRoot)('the standby lease watch follows the configuration (engine in process)', () => {
  it('a SharedDisk deleted or reconfigured stops its watch; the engine stopping stops every watch', async () => {
    const { Engine } = await import('../../src/engine/engine.js');
    const { silentLogger } = await import('../../src/engine/logger.js');
    const dev = loopDevice('watched', 16, ['mkfs.ext4', '-q', '-b', '4096', 'DEV', String(15 * 256)]);
    const home = join(work, 'watch-home');
    for (const d of ['config', 'log', 'run']) mkdirSync(join(home, d), { recursive: true });
    const res = { ResName: 'wdisk', Type: 'SharedDisk', Device: dev, MountPoint: dir('watch-mnt'), FSType: 'ext4', LeaseRenewInterval: 100, OfflineMonitorInterval: 0.2 };
    const group = (resources: Record<string, unknown>[]) => ({ GroupName: 'wg', GroupType: 'FAILOVER', NodeList: ['n1'], AutoStart: false, Resources: resources, Dependencies: [] });
    writeFileSync(join(home, 'config/main.json'), JSON.stringify({ ConfigVersion: 1, Cluster: { ClusterName: 'watch' }, Nodes: [{ NodeName: 'n1', StandAlone: true }], Groups: [group([res])] }));
    const engine = new Engine({ home, nodeName: 'n1', logger: silentLogger });
    const watch = () => leaseWatch({ nodeName: 'n1', resName: 'wdisk' });
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 100 && !ok(); i++) await sleep(50);
      expect(ok(), what).toBe(true);
    };
    try {
      await engine.start();
      // The probe found the disk not mounted here: the standby reads the lease from now on.
      await until('the probe starts the watch', () => watch()?.active === true);
      const first = watch()!;

      // Reconfigured: the watch of the old configuration stops; the next monitor starts one for the new one.
      await engine.modifyConfig((d) => void Object.assign(d.Groups[0]!.Resources[0]!, { LeaseRenewInterval: 150 }), 'test: renewal period changed');
      expect(first.active).toBe(false);
      await until('the next monitor watches again', () => watch()?.active === true && watch() !== first);
      const second = watch()!;

      // Another resource of the group changed: this one's watch is left alone.
      await engine.modifyConfig((d) => void d.Groups[0]!.Resources.push({ ResName: 'other', Type: 'Process', Path: '/usr/bin/sleep', Arguments: ['1000'] }), 'test: another resource');
      expect(watch()).toBe(second);
      expect(second.active).toBe(true);

      // Deleted: the watch stops at once and no monitor starts another (several offline monitor periods later).
      await engine.modifyConfig((d) => void (d.Groups[0]!.Resources = d.Groups[0]!.Resources.filter((r) => r.ResName !== 'wdisk')), 'test: resource deleted');
      expect(second.active).toBe(false);
      expect(watch()).toBeUndefined();
      await sleep(800);
      expect(watch()).toBeUndefined();

      // Back, then the engine stops: nothing keeps reading the disk.
      await engine.modifyConfig((d) => void d.Groups[0]!.Resources.push(res), 'test: resource added again');
      await until('the new resource is watched', () => watch()?.active === true);
      const third = watch()!;
      await engine.stop();
      expect(third.active).toBe(false);
      expect(watch()).toBeUndefined();
    } finally {
      await engine.stop();
      watch()?.stop();
    }
  }, 30_000);
});
