// The processes that keep a file system busy (what fuser -m finds), read
// from /proc: a cwd, root, executable, open file or mapping on the device.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { splitDev, type DevNum } from './block-devices.js';
import { commOf, isRunning } from './proc.js';

export interface Holder {
  pid: number;
  comm: string;
  why: string;
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
    if (pid === process.pid || !isRunning(pid)) continue;
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
