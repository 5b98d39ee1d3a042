// A real etcd (Debian's etcd-server, 3.4) on 127.0.0.1 for tests and benches
// that need no network namespace: free random client and peer ports, data in
// a temp directory, killed by its PID (never by name) and the directory
// removed by stop(). Plain ESM so that bench/*.mjs can use it too.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port nobody listens on at 127.0.0.1 now (the kernel's choice). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** One health round trip with etcdctl (bounded by its own dial and command timeouts). */
function healthy(endpoint) {
  return new Promise((resolve) => {
    const c = spawn('etcdctl', ['--endpoints', endpoint, '--dial-timeout', '500ms', '--command-timeout', '1s', 'endpoint', 'health'], { stdio: 'ignore', env: { ...process.env, ETCDCTL_API: '3' } });
    c.on('error', () => resolve(false));
    c.on('exit', (code) => resolve(code === 0));
  });
}

/**
 * Starts etcd and waits until it answers (bounded). A port taken between the
 * choice and etcd's bind makes etcd exit: then it is tried again on new ports.
 */
export async function startLocalEtcd({ timeoutMs = 20_000, host = '127.0.0.1', attempts = 3 } = {}) {
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'mccs-etcd-'));
    const [clientPort, peerPort] = [await freePort(host), await freePort(host)];
    const endpoint = `http://${host}:${clientPort}`;
    const peerUrl = `http://${host}:${peerPort}`;
    const logFile = join(dir, 'etcd.log');
    const log = openSync(logFile, 'a');
    const child = spawn('etcd', ['--name', 'unit', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `unit=${peerUrl}`, '--log-level', 'warn'], { stdio: ['ignore', log, log] });
    closeSync(log);
    let spawnError;
    child.on('error', (e) => (spawnError = e));
    const etcd = {
      endpoint,
      clientPort,
      pid: child.pid ?? 0,
      dir,
      logFile,
      /** SIGKILL by PID, wait for the exit (bounded), remove the data directory. */
      async stop() {
        if (etcd.pid > 0 && child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          try {
            process.kill(etcd.pid, 'SIGKILL');
          } catch {
            // gone already
          }
          await Promise.race([exited, sleep(5000)]);
        }
        for (let i = 0; i < 100 && etcd.pid > 0 && alive(etcd.pid); i++) await sleep(20);
        rmSync(dir, { recursive: true, force: true });
      },
    };
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError) {
        await etcd.stop();
        throw new Error(`etcd could not be started (${spawnError.message}): install etcd-server (scripts/debian-packages.txt)`);
      }
      if (child.exitCode !== null) {
        let tail = '';
        try {
          tail = readFileSync(logFile, 'utf8').slice(-1500);
        } catch {
          // no log
        }
        lastError = new Error(`etcd exited with ${child.exitCode}:\n${tail}`);
        await etcd.stop();
        break;
      }
      if (await healthy(endpoint)) return etcd;
      if (Date.now() > end) {
        await etcd.stop();
        throw new Error(`etcd on ${endpoint} did not answer within ${timeoutMs} ms`);
      }
      await sleep(100);
    }
  }
  throw lastError ?? new Error('etcd did not start');
}
