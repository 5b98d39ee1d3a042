// File systems mounted from block devices other than the root disk: the
// candidates for a SharedDisk (or MirrorDisk) resource. From
// /proc/self/mountinfo, whole file systems only (bind mounts of a
// sub-directory, such as a container's /etc/hosts, are left out).
import { basename } from 'node:path';
import type { DiscoverHost } from './host.js';
import type { BlockFileSystem } from './types.js';

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes blanks as \040 etc. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const a = line.slice(0, sep).split(' ');
    const b = line.slice(sep + 3).split(' ');
    out.push({ root: unescape(a[3] ?? ''), mountPoint: unescape(a[4] ?? ''), fsType: b[0] ?? '', source: unescape(b[1] ?? '') });
  }
  return out;
}

/** The whole disk a partition belongs to (sda1 → sda, nvme0n1p2 → nvme0n1), from /sys/class/block. */
function diskOf(host: DiscoverHost, device: string): string {
  const name = basename(device);
  if (!host.exists(`/sys/class/block/${name}/partition`)) return name;
  const target = host.link(`/sys/class/block/${name}`);
  return target ? basename(target.replace(/\/[^/]+$/, '')) : name;
}

export function findFileSystems(host: DiscoverHost): BlockFileSystem[] {
  const mounts = parseMountinfo(host.read('/proc/self/mountinfo') ?? '');
  const root = mounts.filter((m) => m.mountPoint === '/').pop();
  const rootDisk = root?.source.startsWith('/dev/') ? diskOf(host, root.source) : undefined;
  const out: BlockFileSystem[] = [];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (!m.source.startsWith('/dev/') || m.root !== '/' || m.mountPoint === '/') continue;
    if (rootDisk !== undefined && diskOf(host, m.source) === rootDisk) continue;
    if (seen.has(m.mountPoint)) continue;
    seen.add(m.mountPoint);
    const size = host.fsSize(m.mountPoint);
    out.push({
      device: m.source,
      fsType: m.fsType,
      mountPoint: m.mountPoint,
      sizeBytes: size?.sizeBytes ?? null,
      freeBytes: size?.freeBytes ?? null,
      evidence: [`/proc/self/mountinfo: ${m.source} on ${m.mountPoint} type ${m.fsType}`, ...(rootDisk ? [`root disk ${rootDisk} left out`] : [])],
    });
  }
  return out;
}
