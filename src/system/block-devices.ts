// Block devices as the kernel numbers them (major:minor), read from stat(2)
// and /sys without a fork.
import { readFileSync, realpathSync, statSync } from 'node:fs';

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
