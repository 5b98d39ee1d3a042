// SharedDisk: a file system on a block device every node can see, mounted
// only on the active node and guarded by a disk lease (disk-lease.ts).
//
// Cheap checks read /proc/self/mountinfo and /sys directly (no fork every
// monitor interval); mount, umount, fsck and the lease I/O (dd) go through
// the runner. The mount helpers below are shared with MirrorDisk.
import { promises as fsp, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import type { RunOptions, RunResult } from '../runner.js';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { DdLeaseIO, DiskLease, filesystemSize, LEASE_BLOCK, DEFAULT_LEASE_RESERVE } from './disk-lease.js';
import { LeaseWatch } from './lease-watch.js';
import { dropReservation, reservationLost, takeReservation } from './scsi-reservation.js';

// ---------------------------------------------------------------- helpers

/** Runs a tool; a tool that cannot be started becomes an error naming its Debian package. */
export async function runTool(ctx: AgentContext, pkg: string, command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  try {
    return await ctx.runner.run(command, args, { signal: ctx.signal, timeoutMs: Math.max(1000, ctx.deadline), ...options });
  } catch (e) {
    throw new AgentError(`${command} not found or not executable (install the Debian package ${pkg}): ${(e as Error).message}`);
  }
}

export function firstLine(r: RunResult): string {
  const text = (r.stderr.trim() || r.stdout.trim()).split('\n').find((l) => l.trim() !== '');
  return text?.trim() ?? `exit code ${r.exitCode}`;
}

/** Wall of the operation's budget, measured from now. */
export function budget(ctx: AgentContext): () => number {
  const end = performance.now() + ctx.deadline;
  return () => Math.max(0, end - performance.now());
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function attrString(ctx: AgentContext, name: string, required = false): string {
  const v = ctx.attrs[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new AgentError(`attribute ${name} is not set`);
    return '';
  }
  if (typeof v !== 'string') throw new AgentError(`attribute ${name} must be a string, not ${JSON.stringify(v)}`);
  return v;
}

export function attrBool(ctx: AgentContext, name: string, dflt: boolean): boolean {
  const v = ctx.attrs[name];
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|yes|1|on)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|no|0|off)$/i.test(v)) return false;
  throw new AgentError(`attribute ${name} must be true or false, not ${JSON.stringify(v)}`);
}

export function attrInt(ctx: AgentContext, name: string, dflt: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const v = ctx.attrs[name];
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new AgentError(`attribute ${name} must be an integer between ${min} and ${max}, not ${JSON.stringify(v)}`);
  return n;
}

export function absolutePath(ctx: AgentContext, name: string): string {
  const p = attrString(ctx, name, true);
  if (!p.startsWith('/') || p.includes('\0')) throw new AgentError(`attribute ${name} must be an absolute path, not '${p}'`);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

// ---------------------------------------------------------------- devices and mounts

export interface DevNum {
  major: number;
  minor: number;
}

/** glibc's gnu_dev_major/minor on a 64-bit dev_t. */
export function splitDev(dev: bigint): DevNum {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

export const devString = (d: DevNum): string => `${d.major}:${d.minor}`;

/** major:minor of a block device path (symlinks resolved), or why not. */
export function blockDevice(path: string): { dev: DevNum; real: string } | { error: string } {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return { error: `device ${path} does not exist` };
  }
  const st = statSync(real, { bigint: true });
  if (!st.isBlockDevice()) return { error: `${path} is not a block device` };
  return { dev: splitDev(st.rdev), real };
}

/** Size in bytes of a block device, from /sys (no fork). */
export function blockDeviceSize(dev: DevNum): number {
  return Number(readFileSync(`/sys/dev/block/${devString(dev)}/size`, 'utf8').trim()) * 512;
}

/** The file behind a loop device, if it is one. */
export function loopBacking(dev: DevNum): string | undefined {
  try {
    return readFileSync(`/sys/dev/block/${devString(dev)}/loop/backing_file`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export interface MountEntry {
  dev: DevNum;
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
}

const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses /proc/self/mountinfo (proc(5)). */
export function readMounts(text = readFileSync('/proc/self/mountinfo', 'utf8')): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0) continue;
    const [maj, min] = (f[2] ?? '0:0').split(':').map(Number);
    out.push({
      dev: { major: maj ?? 0, minor: min ?? 0 },
      mountPoint: unescapeMount(f[4] ?? ''),
      options: f[5] ?? '',
      fsType: f[sep + 1] ?? '',
      source: unescapeMount(f[sep + 2] ?? ''),
    });
  }
  return out;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Mounts on a mount point, last = the one on top. */
export function mountsAt(mountPoint: string): MountEntry[] {
  const mp = realOrSelf(mountPoint);
  return readMounts().filter((m) => m.mountPoint === mp || m.mountPoint === mountPoint);
}

/** Where a device is mounted. */
export function mountsOf(dev: DevNum): MountEntry[] {
  return readMounts().filter((m) => m.dev.major === dev.major && m.dev.minor === dev.minor);
}

// ---------------------------------------------------------------- processes holding a mount

export interface Holder {
  pid: number;
  comm: string;
  why: string;
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Running = exists and is not a zombie (kill(pid, 0) succeeds on zombies). */
export function isAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Processes with a cwd, root, executable, open file or mapping on the file system of `dev`. */
export function holdersOf(dev: DevNum): Holder[] {
  const out: Holder[] = [];
  const hex = `${dev.major.toString(16).padStart(2, '0')}:${dev.minor.toString(16).padStart(2, '0')}`;
  const on = (p: string): boolean => {
    try {
      const d = splitDev(statSync(p, { bigint: true }).dev);
      return d.major === dev.major && d.minor === dev.minor;
    } catch {
      return false;
    }
  };
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || !isAlive(pid)) continue;
    let why: string | undefined;
    for (const link of ['cwd', 'root', 'exe']) if (!why && on(`/proc/${pid}/${link}`)) why = link;
    if (!why) {
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          if (on(`/proc/${pid}/fd/${fd}`)) {
            let target = '';
            try {
              target = readlinkSync(`/proc/${pid}/fd/${fd}`);
            } catch {
              /* gone */
            }
            why = `open file ${target}`;
            break;
          }
        }
      } catch {
        /* process gone or not ours to read */
      }
    }
    if (!why) {
      try {
        const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
        if (maps.split('\n').some((l) => l.split(/\s+/)[3] === hex && l.split(/\s+/)[4] !== '0')) why = 'mapped file';
      } catch {
        /* gone */
      }
    }
    if (why) out.push({ pid, comm: commOf(pid), why });
  }
  return out;
}

export const describeHolders = (hs: Holder[]): string => hs.map((h) => `pid ${h.pid} (${h.comm}: ${h.why})`).join(', ');

/** SIGTERM, wait up to termMs, then SIGKILL; returns the pids still alive. */
export async function endProcesses(pids: number[], termMs: number, log: (m: string) => void): Promise<number[]> {
  const signal = (sig: NodeJS.Signals, list: number[]): void => {
    for (const pid of list) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  const waitGone = async (list: number[], ms: number): Promise<number[]> => {
    const end = performance.now() + ms;
    let alive = list.filter(isAlive);
    while (alive.length > 0 && performance.now() < end) {
      await sleep(50);
      alive = alive.filter(isAlive);
    }
    return alive;
  };
  signal('SIGTERM', pids);
  let alive = await waitGone(pids, termMs);
  if (alive.length > 0) {
    log(`SIGKILL to ${alive.join(', ')} (did not end ${termMs} ms after SIGTERM)`);
    signal('SIGKILL', alive);
    alive = await waitGone(alive, 2000);
  }
  return alive;
}

// ---------------------------------------------------------------- mount / umount

export interface MountSpec {
  device: string;
  dev: DevNum;
  mountPoint: string;
  fsType: string;
  options: string;
}

/** Reasons a mount point or device cannot take this mount now. */
export function checkMountFree(spec: MountSpec): void {
  const st = (() => {
    try {
      return statSync(spec.mountPoint);
    } catch {
      return undefined;
    }
  })();
  if (!st) throw new AgentError(`MountPoint ${spec.mountPoint} does not exist (create the directory on every node)`);
  if (!st.isDirectory()) throw new AgentError(`MountPoint ${spec.mountPoint} is not a directory`);
  const on = mountsAt(spec.mountPoint);
  const top = on[on.length - 1];
  if (top) throw new AgentError(`MountPoint ${spec.mountPoint} is already in use: ${top.source} (${top.fsType}, ${devString(top.dev)}) is mounted there`);
  const elsewhere = mountsOf(spec.dev)[0];
  if (elsewhere) throw new AgentError(`device ${spec.device} is already mounted on ${elsewhere.mountPoint}`);
}

export async function mountFs(ctx: AgentContext, spec: MountSpec): Promise<void> {
  const args: string[] = [];
  if (spec.fsType) args.push('-t', spec.fsType);
  if (spec.options) args.push('-o', spec.options);
  args.push('--', spec.device, spec.mountPoint);
  const r = await runTool(ctx, 'mount', 'mount', args);
  if (r.exitCode !== 0) throw new AgentError(`mount of ${spec.device} on ${spec.mountPoint} failed: ${firstLine(r)}`);
}

/** Whether `dev` is the one mounted on top of the mount point. */
export function mountedHere(mountPoint: string, dev: DevNum): boolean {
  const on = mountsAt(mountPoint);
  const top = on[on.length - 1];
  return top !== undefined && top.dev.major === dev.major && top.dev.minor === dev.minor;
}

/**
 * Unmounts, escalating inside the budget: plain umount; when busy and
 * `force`, end the holders (reported) and retry; with `lazy`, lazy unmount
 * as the very last resort. Returns how it ended.
 */
export async function unmountFs(
  ctx: AgentContext,
  mountPoint: string,
  dev: DevNum,
  opts: { force: boolean; lazy: boolean },
): Promise<'unmounted' | 'lazy'> {
  const left = budget(ctx);
  const umount = async (extra: string[]): Promise<RunResult> =>
    runTool(ctx, 'mount', 'umount', [...extra, '--', mountPoint], { timeoutMs: Math.max(1000, Math.min(left(), 30_000)) });
  if (!mountedHere(mountPoint, dev)) return 'unmounted';
  let r = await umount([]);
  if (r.exitCode === 0 && !mountedHere(mountPoint, dev)) return 'unmounted';
  const holders = holdersOf(dev);
  if (holders.length > 0) {
    ctx.log(`${mountPoint} is busy: ${describeHolders(holders)}`);
    if (!opts.force) throw new AgentError(`cannot unmount ${mountPoint}: in use by ${describeHolders(holders)} (ForceUnmount=false; the forced clean ends them)`);
    ctx.log(`ending processes holding ${mountPoint}: ${describeHolders(holders)}`);
    const survivors = await endProcesses(
      holders.map((h) => h.pid),
      Math.max(500, Math.min(10_000, left() / 3)),
      ctx.log,
    );
    if (survivors.length > 0) ctx.log(`still alive after SIGKILL (uninterruptible I/O?): ${survivors.join(', ')}`);
  }
  r = await umount([]);
  if (r.exitCode === 0 && !mountedHere(mountPoint, dev)) return 'unmounted';
  if (!opts.lazy) throw new AgentError(`umount ${mountPoint} failed: ${firstLine(r)}`);
  ctx.log(`lazy unmount of ${mountPoint} as the last resort (umount said: ${firstLine(r)})`);
  r = await umount(['-l']);
  if (r.exitCode !== 0 || mountedHere(mountPoint, dev)) throw new AgentError(`even lazy umount of ${mountPoint} failed: ${firstLine(r)}`);
  return 'lazy';
}

/** Writes, fsyncs and removes a small file on the mount, within timeoutMs. */
export async function writeProbe(dir: string, name: string, timeoutMs: number): Promise<string | undefined> {
  const file = `${dir}/.mccs-probe-${name}`;
  const probe = (async (): Promise<undefined> => {
    const fh = await fsp.open(file, 'w', 0o600);
    try {
      await fh.writeFile(`mccs write probe ${new Date().toISOString()}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.unlink(file);
    return undefined;
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((r) => {
    timer = setTimeout(() => r(`write probe on ${dir} did not finish in ${timeoutMs} ms (hung I/O?)`), timeoutMs);
  });
  try {
    return await Promise.race([probe.catch((e: Error) => `write probe on ${dir} failed: ${e.message}`), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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
  const fsType = attrString(ctx, 'FSType');
  if (fsType && !/^[a-z0-9._+-]+$/.test(fsType)) throw new AgentError(`FSType '${fsType}' is not a file system type name`);
  const options = attrString(ctx, 'MountOptions');
  if (options.startsWith('-')) throw new AgentError(`MountOptions must not start with '-'`);
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

function stopWatch(ctx: AgentContext): LeaseWatch | undefined {
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
    for (const h of holders) {
      try {
        process.kill(h.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
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
};
