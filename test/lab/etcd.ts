// A real etcd (Debian's etcd-server, 3.4) for the witness tests, run in the
// lab namespace and listening on the lab gateway's address only
// (10.213.0.254:2379), so both nodes reach it over the service network and a
// node cut off from the lab loses it too. Its peer port is on the lab
// namespace's own loopback. Killed with the lab (lab.spawned) or by stopEtcd.
//
// startEtcdCluster: a three-member etcd (issue 16), members etcd1..etcd3 on
// extra addresses of the lab namespace's br0, 10.213.0.251..253 (client
// port 2379, peer port 2380 on the same address). The members talk to each
// other inside the lab namespace, so a partition of the nodes
// (lab.partition) never splits etcd itself: the whole witness stays with
// the first side. stopEtcdMember SIGKILLs one member (the two left keep the
// quorum); startEtcdMember brings it back on its data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, isAlive, must, signal, sleep } from './exec.js';
import { GATEWAY, type Lab } from './lab.js';

export const ETCD_PORT = 2379;
export const ETCD_ENDPOINT = `http://${GATEWAY.ipv4}:${ETCD_PORT}`;

export interface EtcdProcess {
  child: ChildProcess;
  pid: number;
  dataDir: string;
}

/** Starts etcd (same data directory = same data after a restart) and waits until it answers. */
export async function startEtcd(lab: Lab, timeoutMs = 15_000): Promise<EtcdProcess> {
  const dataDir = join(lab.dir, 'etcd');
  mkdirSync(dataDir, { recursive: true });
  const log = openSync(join(lab.dir, 'etcd.log'), 'a');
  const child = spawn('ip', ['netns', 'exec', lab.labNs, 'etcd',
    '--name', 'witness', '--data-dir', join(dataDir, 'data'),
    '--listen-client-urls', ETCD_ENDPOINT, '--advertise-client-urls', ETCD_ENDPOINT,
    '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
    '--initial-cluster', 'witness=http://127.0.0.1:2380', '--log-level', 'warn'], { stdio: ['ignore', log, log] });
  lab.spawned.add(child);
  child.on('exit', () => lab.spawned.delete(child));
  const p: EtcdProcess = { child, pid: child.pid ?? 0, dataDir };
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = spawn('ip', ['netns', 'exec', lab.labNs, 'etcdctl', '--endpoints', ETCD_ENDPOINT, '--dial-timeout', '500ms', 'endpoint', 'health'], { stdio: 'ignore', env: { ...process.env, ETCDCTL_API: '3' } });
      c.on('exit', (code) => resolve(code === 0));
    });
    if (ok) return p;
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode} (see ${join(lab.dir, 'etcd.log')})`);
    if (Date.now() > end) throw new Error(`etcd did not answer within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** SIGKILL: the witness is gone at once (no goodbye to its clients). */
export async function stopEtcd(p: EtcdProcess): Promise<void> {
  const exited = p.child.exitCode !== null || p.child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.child.once('exit', () => r()));
  if (p.pid > 0 && isAlive(p.pid)) signal(p.pid, 'SIGKILL');
  for (let i = 0; i < 200 && p.pid > 0 && isAlive(p.pid); i++) await sleep(10);
  // Reaped and off lab.spawned before this returns.
  await Promise.race([exited, sleep(2000)]);
}

// ---------------------------------------------------------------- three members

/** Addresses of the members of startEtcdCluster, on the lab namespace's br0. */
export const ETCD_MEMBER_ADDRS = ['10.213.0.251', '10.213.0.252', '10.213.0.253'] as const;

/** WitnessEndpoints of startEtcdCluster(lab, members), known before it starts (for main.json). */
export function etcdClusterEndpoints(members = 3): string {
  return ETCD_MEMBER_ADDRS.slice(0, members).map((a) => `http://${a}:${ETCD_PORT}`).join(',');
}

export interface EtcdMember {
  name: string;
  addr: string;
  /** http://ADDR:2379 */
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  /** Set while it runs. */
  process?: EtcdProcess;
}

export interface EtcdCluster {
  lab: Lab;
  members: EtcdMember[];
  /** Every member's client URL. */
  endpoints: string[];
  /** The same, comma-separated: the value of WitnessEndpoints. */
  witnessEndpoints: string;
  initialCluster: string;
}

/** The last lines of every member's log, for a failing test's dump. */
export function etcdLogTails(cluster: EtcdCluster, lines = 10): string {
  return cluster.members
    .map((m) => {
      let text = '';
      try {
        text = readFileSync(join(cluster.lab.dir, `${m.name}.log`), 'utf8');
      } catch {
        // never started
      }
      return `===== ${m.name}.log\n${text.split('\n').slice(-lines).join('\n')}`;
    })
    .join('\n');
}

const etcdctlEnv = { ...process.env, ETCDCTL_API: '3' };

/** etcdctl in the lab namespace against the given endpoints (default: all of the cluster's). */
export function etcdctl(cluster: EtcdCluster, args: string[], endpoints = cluster.endpoints): ReturnType<typeof exec> {
  return exec('ip', ['netns', 'exec', cluster.lab.labNs, 'etcdctl', '--endpoints', endpoints.join(','), '--dial-timeout', '1s', '--command-timeout', '3s', ...args], { env: etcdctlEnv, timeoutMs: 10_000 });
}

/**
 * Starts an etcd of `members` (1 to 3) members in the lab namespace, each on
 * its own address of br0, and waits until every member answers healthy.
 * Killed with the lab (lab.spawned) or by stopEtcdCluster.
 */
export async function startEtcdCluster(lab: Lab, members = 3, timeoutMs = 30_000): Promise<EtcdCluster> {
  if (!Number.isInteger(members) || members < 1 || members > ETCD_MEMBER_ADDRS.length) throw new Error(`etcd cluster: ${members} members: 1 to ${ETCD_MEMBER_ADDRS.length}`);
  const list: EtcdMember[] = ETCD_MEMBER_ADDRS.slice(0, members).map((addr, i) => ({
    name: `etcd${i + 1}`,
    addr,
    clientUrl: `http://${addr}:${ETCD_PORT}`,
    peerUrl: `http://${addr}:2380`,
    dataDir: join(lab.dir, `etcd${i + 1}`),
  }));
  const shown = await must('ip', ['-n', lab.labNs, '-j', 'addr', 'show', 'dev', 'br0']);
  const have = new Set((JSON.parse(shown || '[]') as { addr_info?: { local: string }[] }[])[0]?.addr_info?.map((a) => a.local) ?? []);
  for (const m of list) if (!have.has(m.addr)) await must('ip', ['-n', lab.labNs, 'addr', 'add', `${m.addr}/24`, 'dev', 'br0']);
  const cluster: EtcdCluster = {
    lab,
    members: list,
    endpoints: list.map((m) => m.clientUrl),
    witnessEndpoints: list.map((m) => m.clientUrl).join(','),
    initialCluster: list.map((m) => `${m.name}=${m.peerUrl}`).join(','),
  };
  for (const m of list) launchMember(cluster, m);
  await waitHealthy(cluster, list, timeoutMs);
  return cluster;
}

function launchMember(cluster: EtcdCluster, m: EtcdMember): void {
  const { lab } = cluster;
  mkdirSync(m.dataDir, { recursive: true });
  const log = openSync(join(lab.dir, `${m.name}.log`), 'a');
  // Same data directory on a restart: the member comes back as itself (the flags of a new cluster are then ignored).
  const child = spawn('ip', ['netns', 'exec', lab.labNs, 'etcd',
    '--name', m.name, '--data-dir', join(m.dataDir, 'data'),
    '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
    '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
    '--initial-cluster', cluster.initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', `mcl${lab.id}`,
    '--log-level', 'warn'], { stdio: ['ignore', log, log] });
  lab.spawned.add(child);
  child.on('exit', () => lab.spawned.delete(child));
  m.process = { child, pid: child.pid ?? 0, dataDir: m.dataDir };
}

async function waitHealthy(cluster: EtcdCluster, members: EtcdMember[], timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await etcdctl(cluster, ['endpoint', 'health'], members.map((m) => m.clientUrl));
    if (r.exitCode === 0) return;
    last = (r.stderr || r.stdout).split('\n').slice(-3).join(' ');
    const dead = members.find((m) => m.process && m.process.child.exitCode !== null);
    if (dead) throw new Error(`etcd member ${dead.name} exited with ${dead.process!.child.exitCode} (see ${join(cluster.lab.dir, `${dead.name}.log`)})`);
    if (Date.now() > end) throw new Error(`etcd members ${members.map((m) => m.name).join(', ')} not healthy within ${timeoutMs} ms: ${last}`);
    await sleep(200);
  }
}

function memberOf(cluster: EtcdCluster, which: number | string): EtcdMember {
  const m = typeof which === 'number' ? cluster.members[which] : cluster.members.find((x) => x.name === which);
  if (!m) throw new Error(`etcd cluster: no member ${which} (${cluster.members.map((x) => x.name).join(', ')})`);
  return m;
}

/** SIGKILL of one member (index from 0, or its name): gone at once, the others keep the quorum. Returns it. */
export async function stopEtcdMember(cluster: EtcdCluster, which: number | string): Promise<EtcdMember> {
  const m = memberOf(cluster, which);
  if (m.process) await stopEtcd(m.process);
  m.process = undefined;
  return m;
}

/** Starts a stopped member again on its data directory; waits until it answers healthy. */
export async function startEtcdMember(cluster: EtcdCluster, which: number | string, timeoutMs = 30_000): Promise<EtcdMember> {
  const m = memberOf(cluster, which);
  if (m.process && isAlive(m.process.pid)) return m;
  launchMember(cluster, m);
  await waitHealthy(cluster, [m], timeoutMs);
  return m;
}

/** SIGKILL of every member. */
export async function stopEtcdCluster(cluster: EtcdCluster): Promise<void> {
  await Promise.all(cluster.members.map((m) => stopEtcdMember(cluster, m.name)));
}

/** The member that leads, by name (null when no member answers with a leader). */
export async function etcdLeader(cluster: EtcdCluster): Promise<string | null> {
  const up = cluster.members.filter((m) => m.process && isAlive(m.process.pid));
  if (up.length === 0) return null;
  // -w simple: "URL, ID, VERSION, DB SIZE, IS LEADER, ..." (the JSON form's 64-bit ids do not fit a JS number).
  const r = await etcdctl(cluster, ['endpoint', 'status', '-w', 'simple'], up.map((m) => m.clientUrl));
  const lead = r.stdout.split('\n').map((l) => l.split(', ')).find((f) => f[4] === 'true');
  return lead ? (cluster.members.find((m) => m.clientUrl === lead[0])?.name ?? null) : null;
}
