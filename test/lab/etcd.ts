// A real etcd (Debian's etcd-server, 3.4) for the witness tests, run in the
// lab namespace and listening on the lab gateway's address only
// (10.213.0.254:2379), so both nodes reach it over the service network and a
// node cut off from the lab loses it too. Its peer port is on the lab
// namespace's own loopback. Killed with the lab (lab.spawned) or by stopEtcd.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, signal, sleep } from './exec.js';
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
  if (p.pid > 0 && isAlive(p.pid)) signal(p.pid, 'SIGKILL');
  for (let i = 0; i < 200 && p.pid > 0 && isAlive(p.pid); i++) await sleep(10);
}
