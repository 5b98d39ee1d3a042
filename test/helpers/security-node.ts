// An engine to attack (test/security/): one node of a two-node cluster on
// loopback addresses, with its TLS remote API, a user with a password and the
// cluster key; its peer's address is configured but nobody runs there, so the
// node waits INITING while every listener serves. The attacker's traffic
// stays on 127.0.0.0/8.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { generateSecret } from '../../src/cluster/crypto.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { createCertificate, createHomeDirs, writeUser } from '../../src/init/setup.js';
import { writeConfigFile } from '../../src/model/config.js';
import { homePaths } from '../../src/model/home.js';
import type { MainConfig } from '../../src/model/types.js';
import { DAEMON, makeHome, pidsWithArg, ROOT, rpcAt, waitFor } from './engine-harness.js';
import type { Envelope } from '../../src/api/protocol.js';
import { rmSync } from 'node:fs';

export const ADMIN = { user: 'admin', password: 'Right-Horse-Battery-7' };

export interface TargetNode {
  home: string;
  address: string;
  hbPort: number;
  apiPort: number;
  commandPort: number;
  child: ChildProcess;
  pid: number;
  socket: string;
  status(): Promise<Envelope<any>>;
  /** Raw TLS API call (the certificate is not pinned: the test looks at what the server refuses). */
  remote(body: unknown, localAddress?: string): Promise<{ status: number; envelope: any }>;
  engineLog(): string;
  eventsText(): string;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export function config(address: string, peerAddress: string, hbPort: number, cluster: Record<string, unknown> = {}): MainConfig {
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'target', HBPort: hbPort, ...cluster },
    Nodes: [
      { NodeName: 'n1', PrimaryHB: address, IsolationTestAddresses: '127.0.0.1' },
      { NodeName: 'n2', PrimaryHB: peerAddress, IsolationTestAddresses: '127.0.0.1' },
    ],
    Groups: [],
  } as unknown as MainConfig;
}

export async function startTarget(opts: { address: string; peerAddress: string; hbPort: number; cluster?: Record<string, unknown> }): Promise<TargetNode> {
  const home = makeHome('mccs-sec-');
  const paths = homePaths(home);
  await createHomeDirs(paths);
  generateSecret(paths.clusterKey, { force: true });
  await createCertificate(new ExecRunner(), paths.tlsDir, 'n1', [opts.address]);
  await writeConfigFile(paths.mainJson, config(opts.address, opts.peerAddress, opts.hbPort, opts.cluster));
  await writeUser(paths, { name: ADMIN.user, role: 'Administrator', password: ADMIN.password });
  const child = spawn(process.execPath, [DAEMON, '--node', 'n1'], { env: { ...process.env, MCCS_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const socket = paths.socket;
  await waitFor(`engine ${home} to answer`, async () => {
    if (child.exitCode !== null) throw new Error(`engine exited ${child.exitCode}: ${stderr}`);
    if (!existsSync(socket)) return false;
    return (await rpcAt(socket, 'cluster.status')).ok;
  });
  const apiPort = opts.hbPort + 3;
  const t: TargetNode = {
    home,
    address: opts.address,
    hbPort: opts.hbPort,
    apiPort,
    commandPort: opts.hbPort + 2,
    child,
    pid: child.pid!,
    socket,
    status: () => rpcAt(socket, 'cluster.status'),
    remote: (body, localAddress) =>
      new Promise((resolve, reject) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        const req = httpsRequest(
          { host: opts.address, port: apiPort, method: 'POST', path: '/v1/rpc', rejectUnauthorized: false, agent: false, localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
          (res) => {
            let out = '';
            res.on('data', (c: Buffer) => (out += c.toString()));
            res.on('end', () => {
              try {
                resolve({ status: res.statusCode ?? 0, envelope: JSON.parse(out) });
              } catch (e) {
                reject(e as Error);
              }
            });
          },
        );
        req.on('error', reject);
        req.end(text);
      }),
    engineLog: () => (existsSync(paths.engineLog) ? readFileSync(paths.engineLog, 'utf8') : ''),
    eventsText: () => (existsSync(paths.eventsLog) ? readFileSync(paths.eventsLog, 'utf8') : ''),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      for (const pid of pidsWithArg(home)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
  return t;
}

/** Resident memory of a process, in MB (VmRSS of /proc/PID/status). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** CPU time (user + system) a process has used, in seconds (/proc/PID/stat, clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `mccluster status --json` through the local socket, as an operator would run it; resolves with its exit code and time. */
export function mcclusterStatus(home: string): Promise<{ code: number; ms: number; json: any }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, MCCS_HOME: home };
    for (const k of ['MCCS_USER', 'MCCS_PASSWORD', 'MCCS_PROFILE']) delete env[k];
    const child = spawn(process.execPath, [join(ROOT, 'bin/mccluster.js'), 'status', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(out.trim().split('\n').pop() ?? '');
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, ms: Date.now() - started, json });
    });
  });
}
