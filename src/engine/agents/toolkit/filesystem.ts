// Mounting and unmounting a file system as the disk agents (SharedDisk,
// MirrorDisk, DR) do: checks before mounting, unmount escalating within the
// budget (ending the holders, lazy unmount last), and a write probe.
import { promises as fsp, statSync } from 'node:fs';
import { AgentError, type AgentContext } from '../agent.js';
import type { RunResult } from '../../runner.js';
import { devString, type DevNum } from '../../../system/block-devices.js';
import { describeHolders, holdersOf } from '../../../system/mount-holders.js';
import { mountedHere, mountsAt, mountsOf } from '../../../system/mounts.js';
import { endProcesses, identitiesOf } from '../../../system/end-processes.js';
import { attrString } from './attributes.js';
import { budget } from './budget.js';
import { firstLine, runTool } from './run-tool.js';

/** FSType of a disk agent: a file system type name, or empty (mount finds it). */
export function fsTypeAttr(ctx: AgentContext): string {
  const fsType = attrString(ctx, 'FSType');
  if (fsType && !/^[a-z0-9._+-]+$/.test(fsType)) throw new AgentError(`FSType '${fsType}' is not a file system type name`);
  return fsType;
}

/** MountOptions of a disk agent: passed to mount -o, so never an option of mount itself. */
export function mountOptionsAttr(ctx: AgentContext): string {
  const options = attrString(ctx, 'MountOptions');
  if (options.startsWith('-')) throw new AgentError(`MountOptions must not start with '-'`);
  return options;
}

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
      identitiesOf(holders.map((h) => h.pid)),
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
