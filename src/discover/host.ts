// The node as discovery reads it: files under a root ("/" on a real node, a
// prepared tree in unit tests) and a Runner for the few tools it asks
// (systemctl, ip). Reading never changes anything.
import { readdirSync, readFileSync, readlinkSync, statfsSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../engine/runner.js';
import { parsePasswdLine } from '../system/os-user.js';

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

/** uid → user name for these uids, from the passwd database (getent passwd: /etc/passwd and NSS); a uid it does not know is left out. */
export async function userNames(host: DiscoverHost, uids: number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const wanted = [...new Set(uids)].filter((u) => Number.isInteger(u) && u >= 0);
  if (wanted.length === 0) return out;
  // Exit 2 when some uid is unknown: the known ones are printed all the same.
  const r = await host.runner.run('getent', ['passwd', ...wanted.map(String)], { timeoutMs: 10_000 }).catch(() => undefined);
  for (const line of (r?.stdout ?? '').split('\n')) {
    const user = parsePasswdLine(line);
    if (user) out.set(user.uid, user.name);
  }
  return out;
}
