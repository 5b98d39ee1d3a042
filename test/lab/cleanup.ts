// Removes lab leftovers: processes in the lab's network namespaces (killed
// by PID), mounts under the lab directory, the namespaces, the directory.
// Every lab object lives inside its own namespaces (bridges, veths), so
// deleting them leaves nothing on the host.
//
//   node --import <ts loader> test/lab/cleanup.ts        # every mcl* lab
//   node --import <ts loader> test/lab/cleanup.ts ID     # lab mclID only
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, signal, sleep } from './exec.js';

export const LAB_PREFIX = 'mcl';
const NS_PATTERN = /^mcl([a-z0-9]{1,8})-(gw|n[1-9][0-9]?|cl)$/;

export function labDir(id: string): string {
  return join(tmpdir(), `${LAB_PREFIX}${id}`);
}

async function listNetns(): Promise<string[]> {
  const r = await exec('ip', ['-j', 'netns', 'list']);
  if (r.exitCode !== 0 || r.stdout.trim() === '') return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}

async function netnsPids(ns: string): Promise<number[]> {
  const r = await exec('ip', ['netns', 'pids', ns]);
  return r.stdout.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
}

function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Removes lab `id` (its namespaces, processes, mounts, directory). Idempotent. */
export async function removeLab(id: string): Promise<void> {
  const names = (await listNetns()).filter((n) => NS_PATTERN.exec(n)?.[1] === id);
  // Kill what runs in the lab, by PID: killing a node's init takes its whole PID namespace with it.
  for (let round = 0; round < 50; round++) {
    const pids = (await Promise.all(names.map(netnsPids))).flat();
    if (pids.length === 0) break;
    for (const pid of pids) signal(pid, 'SIGKILL');
    await sleep(20);
  }
  const dir = labDir(id);
  for (const m of mountsUnder(dir)) await exec('umount', ['-l', m]);
  for (const n of names) await exec('ip', ['netns', 'delete', n]);
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`lab ${id}: still mounted: ${left.join(', ')}`);
  rmSync(dir, { recursive: true, force: true });
}

/** Removes every lab (any mcl* namespace or directory). Returns the ids removed. */
export async function cleanupLabs(): Promise<string[]> {
  const ids = new Set<string>();
  for (const n of await listNetns()) {
    const m = NS_PATTERN.exec(n);
    if (m?.[1]) ids.add(m[1]);
  }
  for (const entry of existsSync(tmpdir()) ? readdirSync(tmpdir()) : []) {
    const m = /^mcl([a-z0-9]{1,8})$/.exec(entry);
    if (m?.[1]) ids.add(m[1]);
  }
  for (const id of ids) await removeLab(id);
  return [...ids];
}

/** Whether the host still holds anything of lab `id` (namespaces or directory). */
export async function labLeftovers(id: string): Promise<string[]> {
  const left = (await listNetns()).filter((n) => NS_PATTERN.exec(n)?.[1] === id);
  if (existsSync(labDir(id))) left.push(labDir(id));
  return left;
}

// CLI: removes leftovers after an interrupted run.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const id = process.argv[2];
  const run = id ? removeLab(id).then(() => [id]) : cleanupLabs();
  run.then(
    (ids) => console.log(ids.length ? `removed lab(s): ${ids.join(', ')}` : 'no lab left over'),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
