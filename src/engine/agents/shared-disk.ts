// SharedDisk: a file system on a block device every node can see, mounted
// only on the active node and guarded by a disk lease (disk-lease.ts).
//
// Cheap checks read /proc/self/mountinfo and /sys directly (no fork every
// monitor interval, src/system/); mount, umount, fsck and the lease I/O (dd)
// go through the runner. The mount operations it shares with MirrorDisk and
// DR are in toolkit/filesystem.ts.
import { promises as fsp } from 'node:fs';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { DdLeaseIO, DiskLease, filesystemSize, LEASE_BLOCK, DEFAULT_LEASE_RESERVE } from './disk-lease.js';
import { LeaseWatch } from './lease-watch.js';
import { dropReservation, reservationLost, takeReservation } from './scsi-reservation.js';
import { absolutePath, attrBool, attrInt, attrString } from './toolkit/attributes.js';
import { budget } from './toolkit/budget.js';
import { checkMountFree, fsTypeAttr, mountFs, mountOptionsAttr, type MountSpec, unmountFs, writeProbe } from './toolkit/filesystem.js';
import { firstLine, runTool } from './toolkit/run-tool.js';
import { blockDevice, blockDeviceSize, devString, loopBacking, type DevNum } from '../../system/block-devices.js';
import { identitiesOf } from '../../system/end-processes.js';
import { describeHolders, holdersOf } from '../../system/mount-holders.js';
import { mountedHere, mountsAt, mountsOf } from '../../system/mounts.js';
import { signalProcess } from '../../system/proc.js';

// ---------------------------------------------------------------- the agent

const attributes: AttributeDeclaration[] = [
  { name: 'Device', kind: 'string', editable: true, required: true, description: 'Block device holding the file system (e.g. /dev/disk/by-id/...), visible on every node of the group.' },
  { name: 'MountPoint', kind: 'string', editable: true, required: true, description: 'Directory the file system is mounted on (must exist on every node).' },
  { name: 'FSType', kind: 'string', default: '', editable: true, description: 'File system type passed to mount -t (empty: let mount detect it). ext2/3/4 and xfs are also checked before mounting.' },
  { name: 'MountOptions', kind: 'string', default: '', editable: true, description: 'Options passed to mount -o.' },
  { name: 'ForceUnmount', kind: 'boolean', default: false, editable: true, description: 'Offline ends (SIGTERM, then SIGKILL) the processes that keep the file system busy; false: offline fails and names them (the forced clean always ends them).' },
  { name: 'FsckBeforeMount', kind: 'boolean', default: true, editable: true, description: 'Run fsck -a on the device before mounting it.' },
  { name: 'WriteProbe', kind: 'boolean', default: true, editable: true, description: 'The monitor writes, fsyncs and removes a small file on the mounted file system.' },
  { name: 'DiskLease', kind: 'boolean', default: true, editable: true, description: 'Guard the disk with a lease so that only one node mounts it (in the reserved tail of Device, or on LeaseDevice); false only for disks that a single node can see.' },
  { name: 'LeaseDevice', kind: 'string', default: '', pattern: '^(/.*)?$', editable: true, description: 'A separate small block device or partition that holds the lease block (as SBD does), at LeaseOffset on that device; empty: the lease is in the reserved tail of Device. Several SharedDisks may share one LeaseDevice at different LeaseOffsets.' },
  { name: 'LeaseOffset', kind: 'integer', default: -DEFAULT_LEASE_RESERVE, editable: true, unit: 'bytes', description: 'Byte offset of the 4 KiB lease block, a multiple of 4096; negative counts from the end of the device (on a LeaseDevice smaller than that, the block is at its start). On Device, the file system must end before it (default: the last MiB of the device is reserved).' },
  { name: 'LeaseRenewInterval', kind: 'integer', default: 250, minimum: 100, maximum: 60000, unit: 'ms', editable: true, description: 'The lease holder rewrites the lease this often; a standby reads it as often, so a takeover waits only for what is left of the stale period.', ours: 'Earlier mccs releases: 1000 ms.' },
  { name: 'LeaseStaleIntervals', kind: 'integer', default: 5, minimum: 4, maximum: 100, editable: true, description: 'A lease unchanged for more than this many renewal periods (on the reader\'s own clock) is stale and may be taken over; the holder gives up after this many minus two without a successful renewal.' },
  { name: 'Reservation', kind: 'enum', values: ['NONE', 'SCSI3'], default: 'NONE', editable: true, description: 'SCSI3: SCSI-3 persistent reservation fencing through sg_persist (sg3-utils): online registers this node\'s key and reserves the LU Write Exclusive, Registrants Only, preempting the old holder\'s key on takeover; the disk is never mounted when the reservation cannot be taken, and the monitor fails the resource when the key is preempted.' },
  { name: 'ReservationDevice', kind: 'string', default: '', pattern: '^(/.*)?$', editable: true, description: 'The SCSI device (whole LU, e.g. /dev/disk/by-id/wwn-…) that sg_persist reserves; empty: Device.' },
];

interface DiskConfig {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string;
  forceUnmount: boolean;
  fsck: boolean;
  probe: boolean;
  lease: boolean;
  /** The device that holds the lease block (LeaseDevice, else Device). */
  leaseDevice: string;
  leaseOffset: number;
  /** SCSI-3 reservation on this device, or undefined. */
  reservation?: string;
  renewMs: number;
  staleIntervals: number;
}

function config(ctx: AgentContext): DiskConfig {
  const fsType = fsTypeAttr(ctx);
  const options = mountOptionsAttr(ctx);
  return {
    device: absolutePath(ctx, 'Device'),
    mountPoint: absolutePath(ctx, 'MountPoint'),
    fsType,
    options,
    forceUnmount: attrBool(ctx, 'ForceUnmount', false),
    fsck: attrBool(ctx, 'FsckBeforeMount', true),
    probe: attrBool(ctx, 'WriteProbe', true),
    lease: attrBool(ctx, 'DiskLease', true),
    leaseDevice: attrString(ctx, 'LeaseDevice') ? absolutePath(ctx, 'LeaseDevice') : absolutePath(ctx, 'Device'),
    leaseOffset: attrInt(ctx, 'LeaseOffset', -DEFAULT_LEASE_RESERVE),
    renewMs: attrInt(ctx, 'LeaseRenewInterval', 250, 100, 60000),
    staleIntervals: attrInt(ctx, 'LeaseStaleIntervals', 5, 4, 100),
    reservation: reservationOf(ctx),
  };
}

function reservationOf(ctx: AgentContext): string | undefined {
  const kind = attrString(ctx, 'Reservation') || 'NONE';
  if (kind !== 'NONE' && kind !== 'SCSI3') throw new AgentError(`Reservation must be NONE or SCSI3, not '${kind}'`);
  if (kind === 'NONE') return undefined;
  return attrString(ctx, 'ReservationDevice') ? absolutePath(ctx, 'ReservationDevice') : absolutePath(ctx, 'Device');
}

/** Leases held by this process, by node and resource (two "nodes" may share one process in tests). */
const leases = new Map<string, DiskLease>();
/** Standby watches of leases this node does not hold, by node and resource. */
const watches = new Map<string, LeaseWatch>();
const leaseKey = (ctx: Pick<AgentContext, 'nodeName' | 'resName'>): string => `${ctx.nodeName}\0${ctx.resName}`;

/** The lease a resource holds in this process, if any (for the engine and tests). */
export function heldLease(ctx: Pick<AgentContext, 'nodeName' | 'resName'>): DiskLease | undefined {
  return leases.get(leaseKey(ctx));
}

/** The standby's watch of a resource's lease, if any (for tests). */
export function leaseWatch(ctx: Pick<AgentContext, 'nodeName' | 'resName'>): LeaseWatch | undefined {
  return watches.get(leaseKey(ctx));
}

function resolveDevice(c: DiskConfig): { dev: DevNum; real: string } {
  const b = blockDevice(c.device);
  if ('error' in b) throw new AgentError(b.error);
  return b;
}

/** The lease block's device and byte offset on it. */
function leasePlace(c: DiskConfig, dataDev: DevNum): { device: string; dev: DevNum; offset: number; separate: boolean } {
  let dev = dataDev;
  const separate = c.leaseDevice !== c.device;
  if (separate) {
    const b = blockDevice(c.leaseDevice);
    if ('error' in b) throw new AgentError(`LeaseDevice: ${b.error}`);
    dev = b.dev;
  }
  const size = blockDeviceSize(dev);
  const sameDisk = dev.major === dataDev.major && dev.minor === dataDev.minor;
  let off = c.leaseOffset < 0 ? size + c.leaseOffset : c.leaseOffset;
  if (separate && !sameDisk && off < 0) off = 0;
  if (off % LEASE_BLOCK !== 0) throw new AgentError(`LeaseOffset ${c.leaseOffset} is not a multiple of ${LEASE_BLOCK}`);
  if (off < 0 || off + LEASE_BLOCK > size) throw new AgentError(`LeaseOffset ${c.leaseOffset} lies outside ${c.leaseDevice} (${size} bytes)`);
  return { device: c.leaseDevice, dev, offset: off, separate: !sameDisk };
}

function leaseIO(ctx: AgentContext, c: DiskConfig, dataDev: DevNum): DdLeaseIO {
  const place = leasePlace(c, dataDev);
  return new DdLeaseIO(ctx.runner, place.device, place.offset, Math.max(2000, c.renewMs * 2));
}

function newLease(ctx: AgentContext, c: DiskConfig, dev: DevNum): DiskLease {
  return new DiskLease({
    io: leaseIO(ctx, c, dev),
    owner: ctx.nodeName,
    renewMs: c.renewMs,
    staleIntervals: c.staleIntervals,
    log: ctx.log,
  });
}

/** Keeps a standby's watch on the lease running (started by the first observe that finds the disk not mounted here). */
function ensureWatch(ctx: AgentContext, c: DiskConfig, dev: DevNum): void {
  const key = leaseKey(ctx);
  const io = leaseIO(ctx, c, dev);
  const existing = watches.get(key);
  if (existing?.active && existing.io.describe() === io.describe()) return;
  existing?.stop();
  const w = new LeaseWatch(io, c.renewMs);
  watches.set(key, w);
  w.start();
}

function stopWatch(ctx: Pick<AgentContext, 'nodeName' | 'resName'>): LeaseWatch | undefined {
  const w = watches.get(leaseKey(ctx));
  w?.stop();
  watches.delete(leaseKey(ctx));
  return w;
}

/**
 * The lease is lost (taken over after this node froze, or unreadable for
 * too long): whatever still uses the disk here is killed at once (SIGKILL,
 * no graceful stop: a clean shutdown would write to a disk another node now
 * owns), then the engine is told, and takes the group's resources offline.
 */
function onLeaseLost(ctx: AgentContext, c: DiskConfig, reason: string): void {
  ctx.log(`${ctx.resName}: ${reason}`);
  const b = blockDevice(c.device);
  if (!('error' in b)) {
    const holders = holdersOf(b.dev);
    for (const id of identitiesOf(holders.map((h) => h.pid))) signalProcess(id, 'SIGKILL');
    if (holders.length > 0) ctx.log(`${ctx.resName}: disk lease lost: SIGKILL to every process using ${c.mountPoint}: ${describeHolders(holders)}`);
  }
  ctx.onUnexpectedExit?.(`${reason}; ${ctx.resName} must not use the disk any more`);
}

function startRenewal(ctx: AgentContext, c: DiskConfig, lease: DiskLease): void {
  lease.start((reason) => onLeaseLost(ctx, c, reason));
}

async function readHead(device: string): Promise<Buffer> {
  const fh = await fsp.open(device, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const FS_FAMILY: Record<string, string> = { ext2: 'ext', ext3: 'ext', ext4: 'ext', xfs: 'xfs' };

async function observe(ctx: AgentContext): Promise<Observation> {
  const c = config(ctx);
  const lease = leases.get(leaseKey(ctx));
  if (lease?.lostReason) return { state: 'failed', reason: lease.lostReason };
  const on = mountsAt(c.mountPoint);
  const top = on[on.length - 1];
  const b = blockDevice(c.device);
  if ('error' in b) {
    return top ? { state: 'failed', reason: `${c.mountPoint} is mounted from ${top.source}, but ${b.error}` } : { state: 'stopped', reason: `not mounted (${b.error})` };
  }
  if (!top) {
    if (c.lease) ensureWatch(ctx, c, b.dev);
    return { state: 'stopped', reason: `${c.mountPoint} not mounted` };
  }
  const sameDev = top.dev.major === b.dev.major && top.dev.minor === b.dev.minor;
  if (!sameDev) {
    const backing = loopBacking(top.dev);
    const other = `${top.source} ${devString(top.dev)}${backing ? ` (loop device on ${backing})` : ''}`;
    // Someone else's file system on our mount point: ours is not mounted (online will refuse).
    if (mountsOf(b.dev).length === 0) return { state: 'stopped', reason: `not mounted; ${c.mountPoint} is occupied by ${other}` };
    return { state: 'failed', reason: `${c.mountPoint} is mounted from ${other}, not from ${c.device} ${devString(b.dev)}` };
  }
  if (c.fsType && top.fsType !== c.fsType) {
    return { state: 'failed', reason: `${c.mountPoint} is mounted as ${top.fsType}, not ${c.fsType}` };
  }
  let leaseNote = '';
  if (c.lease) {
    let l = lease;
    if (!l?.held) {
      // Mounted but no lease in this process (engine restarted): resume only a lease that names this node.
      l = newLease(ctx, c, b.dev);
      let adopted = false;
      try {
        adopted = await l.adopt();
      } catch (e) {
        return { state: 'failed', reason: `mounted, but the disk lease cannot be read: ${(e as Error).message}` };
      }
      if (!adopted) {
        const blk = await l.readBlock().catch(() => undefined);
        const who = blk?.kind === 'record' ? blk.record.owner || 'nobody (released)' : 'nobody';
        return { state: 'failed', reason: `mounted on this node, but the disk lease is held by ${who}` };
      }
      stopWatch(ctx);
      leases.set(leaseKey(ctx), l);
      startRenewal(ctx, c, l);
      ctx.log(`${ctx.resName}: resumed renewing the disk lease (generation ${l.currentGeneration})`);
    }
    leaseNote = `, lease generation ${l.currentGeneration} held`;
  }
  if (c.reservation) {
    let lost: string | undefined;
    try {
      lost = await reservationLost(ctx, c.reservation);
    } catch (e) {
      return { state: 'failed', reason: `mounted, but the SCSI-3 reservation cannot be read: ${(e as Error).message}` };
    }
    if (lost) return { state: 'failed', reason: lost };
    leaseNote += ', SCSI-3 reservation held';
  }
  if (c.probe) {
    const err = await writeProbe(c.mountPoint, `${ctx.nodeName}-${ctx.resName}`, Math.max(1000, Math.min(ctx.deadline, 10_000)));
    if (err) return { state: 'failed', reason: err };
  }
  return { state: 'running', reason: `${c.device} mounted on ${c.mountPoint} (${top.fsType})${leaseNote}${c.probe ? ', write probe ok' : ''}` };
}

async function online(ctx: AgentContext): Promise<void> {
  const c = config(ctx);
  const left = budget(ctx);
  const before = await observe(ctx);
  if (before.state === 'running') return;
  if (before.state === 'failed') {
    if (leases.get(leaseKey(ctx))?.lostReason) leases.delete(leaseKey(ctx));
    else throw new AgentError(before.reason);
  }
  const { dev } = resolveDevice(c);
  const spec: MountSpec = { device: c.device, dev, mountPoint: c.mountPoint, fsType: c.fsType, options: c.options };
  checkMountFree(spec);

  let head: Buffer | undefined;
  try {
    await runTool(ctx, 'util-linux', 'blockdev', ['--flushbufs', c.device]);
    head = await readHead(c.device);
  } catch (e) {
    if (e instanceof AgentError) throw e;
    throw new AgentError(`cannot read ${c.device}: ${(e as Error).message}`);
  }
  const found = filesystemSize(head);
  const family = FS_FAMILY[c.fsType];
  if (family && found?.type !== family) {
    throw new AgentError(`${c.device} holds ${found ? `an ${found.type} file system` : 'no ext2/3/4 or xfs file system'}, not ${c.fsType} (wrong FSType, or not formatted)`);
  }

  let lease: DiskLease | undefined;
  if (c.lease) {
    const place = leasePlace(c, dev);
    const off = place.offset;
    if (!place.separate && found && found.bytes > off) {
      const blocks = Math.floor(off / 4096);
      throw new AgentError(
        `the ${found.type} file system on ${c.device} (${found.bytes} bytes) covers the disk lease area at offset ${off}: ` +
          `re-create it leaving the lease area free (e.g. mkfs.ext4 -b 4096 ${c.device} ${blocks}), or set DiskLease=false if only one node can see this disk`,
      );
    }
    lease = newLease(ctx, c, dev);
    const watch = watches.get(leaseKey(ctx));
    const seen = watch?.io.describe() === lease.io.describe() ? watch.sighting : undefined;
    try {
      await lease.acquire(Math.max(0, left() - 5000), ctx.signal, seen);
    } catch (e) {
      throw new AgentError((e as Error).message);
    }
    stopWatch(ctx);
    leases.set(leaseKey(ctx), lease);
    startRenewal(ctx, c, lease);
  }
  let reserved = false;
  try {
    if (c.reservation) {
      // After the lease (the old holder has given up or is dead), before anything writes: the storage itself fences the old holder.
      ctx.log(await takeReservation(ctx, c.reservation));
      reserved = true;
    }
    if (c.fsck) {
      const args = ['-a'];
      if (c.fsType) args.push('-t', c.fsType);
      args.push('--', c.device);
      const r = await runTool(ctx, c.fsType.startsWith('ext') ? 'e2fsprogs' : 'util-linux', 'fsck', args, { timeoutMs: Math.max(1000, left() - 2000) });
      // fsck(8): 0 clean, 1 errors corrected, 2 corrected and reboot advised, 4+ errors left.
      if (r.exitCode >= 4) throw new AgentError(`fsck of ${c.device} left errors uncorrected (exit ${r.exitCode}: ${firstLine(r)}); run fsck ${c.device} by hand`);
      if (r.exitCode > 0) ctx.log(`fsck corrected errors on ${c.device} (exit ${r.exitCode})`);
    }
    await mountFs(ctx, spec);
    const after = await observe(ctx);
    if (after.state !== 'running') throw new AgentError(`mounted, but the monitor says: ${after.reason}`);
  } catch (e) {
    if (mountedHere(c.mountPoint, dev)) await unmountFs(ctx, c.mountPoint, dev, { force: false, lazy: false }).catch(() => undefined);
    if (!mountedHere(c.mountPoint, dev)) {
      if (reserved && c.reservation) await dropReservation(ctx, c.reservation).catch(() => undefined);
      if (lease) {
        await lease.release().catch(() => undefined);
        leases.delete(leaseKey(ctx));
      }
    }
    throw e;
  }
}

async function stopUsing(ctx: AgentContext, c: DiskConfig, force: boolean, lazy: boolean): Promise<void> {
  const b = blockDevice(c.device);
  const lease = leases.get(leaseKey(ctx));
  let how: 'unmounted' | 'lazy' = 'unmounted';
  if (!('error' in b)) how = await unmountFs(ctx, c.mountPoint, b.dev, { force, lazy });
  const leaseDone = (async () => {
    if (!lease) return;
    leases.delete(leaseKey(ctx));
    if (how === 'lazy') {
      // Processes may still have I/O in flight: let the lease go stale rather than free it.
      await lease.stop();
      ctx.log(`${ctx.resName}: lazily unmounted; the disk lease is left to go stale instead of being released`);
    } else {
      // A planned switch names the next node: it takes the lease at once, nobody else can.
      await lease.release(ctx.successor).catch((e: Error) => ctx.log(`${ctx.resName}: releasing the disk lease failed (it will go stale): ${e.message}`));
    }
  })();
  // The reservation is dropped at the same time: the successor preempts it anyway if it comes first.
  const reservationDone = c.reservation && how !== 'lazy'
    ? dropReservation(ctx, c.reservation).catch((e: Error) => ctx.log(`${ctx.resName}: dropping the SCSI-3 reservation failed (the next holder preempts it): ${e.message}`))
    : Promise.resolve();
  await Promise.all([leaseDone, reservationDone]);
  if (c.lease && !('error' in b) && !mountedHere(c.mountPoint, b.dev)) ensureWatch(ctx, c, b.dev);
}

async function offline(ctx: AgentContext): Promise<void> {
  const c = config(ctx);
  await stopUsing(ctx, c, c.forceUnmount, false);
  const after = await observe(ctx);
  if (after.state !== 'stopped') throw new AgentError(`still ${after.state} after unmount: ${after.reason}`);
}

async function clean(ctx: AgentContext): Promise<void> {
  const c = config(ctx);
  await stopUsing(ctx, c, true, true);
}

export const sharedDiskAgent: Agent = {
  type: 'SharedDisk',
  attributes,
  observe,
  online,
  offline,
  clean,
  // Deleted or reconfigured: the standby's watch stops (the next observe starts one for the new configuration).
  // A held lease keeps being renewed: the disk is still mounted here until an offline releases it.
  forget: (resource) => void stopWatch(resource),
};
