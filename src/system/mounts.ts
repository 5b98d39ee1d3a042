// The mount table, parsed from /proc/self/mountinfo (proc(5)) without a
// fork: what is mounted where, and on which device.
import { readFileSync } from 'node:fs';
import type { DevNum } from './block-devices.js';
import { realPathOrSelf } from './real-path.js';

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

/** Mounts on a mount point, last = the one on top. */
export function mountsAt(mountPoint: string): MountEntry[] {
  const mp = realPathOrSelf(mountPoint);
  return readMounts().filter((m) => m.mountPoint === mp || m.mountPoint === mountPoint);
}

/** Where a device is mounted. */
export function mountsOf(dev: DevNum): MountEntry[] {
  return readMounts().filter((m) => m.dev.major === dev.major && m.dev.minor === dev.minor);
}

/** Whether `dev` is the one mounted on top of the mount point. */
export function mountedHere(mountPoint: string, dev: DevNum): boolean {
  const on = mountsAt(mountPoint);
  const top = on[on.length - 1];
  return top !== undefined && top.dev.major === dev.major && top.dev.minor === dev.minor;
}
