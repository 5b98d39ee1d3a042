// The node as discovery reads it: files under a root ("/" on a real node, a
// prepared tree in unit tests) and a Runner for the few tools it asks
// (systemctl, ip). Reading never changes anything.
import { readdirSync, readFileSync, readlinkSync, statfsSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../engine/runner.js';

export interface DiscoverHost {
  read(path: string): string | null;
  list(path: string): string[];
  link(path: string): string | null;
  exists(path: string): boolean;
  /** Size and free space of a mounted file system (statfs). */
  fsSize(mountPoint: string): { sizeBytes: number; freeBytes: number } | null;
  runner: Runner;
}

export function localHost(runner: Runner, root = '/'): DiscoverHost {
  const at = (p: string) => (root === '/' ? p : join(root, p));
  return {
    read: (p) => {
      try {
        return readFileSync(at(p), 'utf8');
      } catch {
        return null;
      }
    },
    list: (p) => {
      try {
        return readdirSync(at(p));
      } catch {
        return [];
      }
    },
    link: (p) => {
      try {
        return readlinkSync(at(p));
      } catch {
        return null;
      }
    },
    exists: (p) => existsSync(at(p)),
    fsSize: (p) => {
      try {
        const s = statfsSync(at(p));
        return { sizeBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
      } catch {
        return null;
      }
    },
    runner,
  };
}

/** uid → user name from /etc/passwd (system users on the node; no NSS). */
export function userNames(host: DiscoverHost): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of (host.read('/etc/passwd') ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0]) out.set(Number(f[2]), f[0]);
  }
  return out;
}
