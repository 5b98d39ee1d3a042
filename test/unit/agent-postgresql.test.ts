// PostgreSQL agent for real, with PostgreSQL 15 from Debian: a temporary
// cluster created with initdb as postgres, started, queried, killed -9 and
// cleaned; bad input refused with a clear reason. Needs root (to run as the
// postgres user) and the Debian package postgresql-15.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterProcesses, pgConfig, postgresqlAgent, tcpListeners } from '../../src/engine/agents/postgresql.js';
import { isRunning } from '../../src/system/proc.js';
import { lookupUser } from '../../src/system/os-user.js';
import { agentContract, makeTestContext } from '../helpers/agent-contract.js';
import { hasUser } from '../helpers/os-users.js';

const BIN = '/usr/lib/postgresql/15/bin';
const canRun = process.getuid?.() === 0 && existsSync(`${BIN}/initdb`) && hasUser('postgres');
if (!canRun) console.log('agent-postgresql: skipped: needs root, the postgres user and the Debian package postgresql-15');

const top = canRun ? mkdtempSync('/tmp/mccs-pg-') : '/nonexistent';
const dataDir = join(top, 'data');
const sockDir = join(top, 'sock');
let port = 25432 + (process.pid % 500);
while (canRun && tcpListeners(port).length > 0) port += 1;
const pids = new Set<number>();

function asPostgres(cmd: string, args: string[]) {
  const { uid, gid } = lookupUser('postgres');
  return spawnSync(cmd, args, { uid, gid, encoding: 'utf8', cwd: '/', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
}

function postmasterPid(): number | undefined {
  try {
    return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

const attrs = (extra: Record<string, unknown> = {}) => ({ DataDir: dataDir, Port: port, SocketDir: sockDir, ...extra });
const ctx = (extra: Record<string, unknown> = {}, deadlineMs = 30_000, log?: string[]) => makeTestContext({ home: top, attrs: attrs(extra), deadlineMs, log });

if (canRun) {
  const { uid, gid } = lookupUser('postgres');
  chownSync(top, uid, gid);
  mkdirSync(sockDir);
  chownSync(sockDir, uid, gid);
  const r = asPostgres(`${BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-N', '-E', 'UTF8', '--locale=C']);
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr}`);
}

afterAll(() => {
  if (!canRun) return;
  const pid = postmasterPid();
  if (pid) pids.add(pid);
  asPostgres(`${BIN}/pg_ctl`, ['stop', '-m', 'immediate', '-D', dataDir]);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(top, { recursive: true, force: true });
});

describe.skipIf(!canRun)('PostgreSQL 15 for real', () => {
  agentContract('PostgreSQL (temporary cluster)', () => ctx(), postgresqlAgent, {
    afterOnline: () => {
      const pid = postmasterPid()!;
      pids.add(pid);
      expect(isRunning(pid)).toBe(true);
      expect(tcpListeners(port).map((l) => l.pid)).toContain(pid);
    },
    afterOnlineAgain: () => expect(tcpListeners(port)).toHaveLength(1),
    afterOffline: () => {
      expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
      expect(tcpListeners(port)).toHaveLength(0);
    },
  });

  describe('faults and bad input', () => {
    it('kill -9 of the postmaster: observe says failed; clean ends the rest; online starts it again', async () => {
      await postgresqlAgent.online(ctx());
      const pid = postmasterPid()!;
      pids.add(pid);
      process.kill(pid, 'SIGKILL');
      const obs = await postgresqlAgent.observe(ctx());
      expect(obs.state).toBe('failed');
      expect(obs.reason).toMatch(/crashed or killed|fails/);
      await postgresqlAgent.clean(ctx());
      expect(await postgresqlAgent.observe(ctx())).toMatchObject({ state: 'stopped' });
      await postgresqlAgent.online(ctx());
      pids.add(postmasterPid()!);
      expect((await postgresqlAgent.observe(ctx())).state).toBe('running');
      await postgresqlAgent.offline(ctx());
    });

    it("another node's postmaster.pid on a shared disk (this node lost it and the other took over): offline and clean leave it alone; online claims it", async () => {
      await postgresqlAgent.online(ctx());
      pids.add(postmasterPid()!);
      await postgresqlAgent.offline(ctx());
      expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
      // What a node that resumed after a freeze finds on the disk: the lock file of the postmaster the other node
      // started after taking over. Its pid here is some process that is not of this data directory (our own test runner).
      const foreign = `${process.pid}\n${dataDir}\n${Math.floor(Date.now() / 1000)}\n${port}\n${sockDir}\n*\n  5432001     32768\nready   \n`;
      writeFileSync(join(dataDir, 'postmaster.pid'), foreign);
      const log: string[] = [];
      expect(await postgresqlAgent.observe(ctx())).toMatchObject({ state: 'failed', reason: expect.stringMatching(/left .*postmaster.pid behind/) });
      await postgresqlAgent.offline(ctx({}, 30_000, log));
      await postgresqlAgent.clean(ctx({}, 30_000, log));
      expect(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8')).toBe(foreign);
      expect(log.join('\n')).toMatch(/left .*postmaster.pid \(pid \d+\) alone: no process of it runs here and this node never ran that postmaster/);
      // Online: the disk is this node's now (the resources below it are online): the stale file goes, the server starts.
      await postgresqlAgent.online(ctx());
      pids.add(postmasterPid()!);
      expect(postmasterPid()).not.toBe(process.pid);
      expect((await postgresqlAgent.observe(ctx())).state).toBe('running');
      await postgresqlAgent.offline(ctx());
    });

    it('backends left by a killed postmaster are ended (same pid and start time only) and waited for; the next online starts cleanly', async () => {
      await postgresqlAgent.online(ctx());
      const pm = postmasterPid()!;
      pids.add(pm);
      // A client session keeps a backend busy; the backend is frozen (SIGSTOP: it cannot notice its postmaster's
      // death, as on a node resuming from a freeze), then the postmaster dies alone (SIGKILL).
      const { uid, gid } = lookupUser('postgres');
      const client = spawn(`${BIN}/psql`, ['-X', '-q', '-h', sockDir, '-p', String(port), '-d', 'postgres', '-c', 'select pg_sleep(60)'], { uid, gid, cwd: '/', stdio: 'ignore' });
      try {
        let backends: number[] = [];
        for (let i = 0; i < 100 && backends.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          backends = clusterProcesses(pgConfig(ctx())).filter((p) => p !== pm && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('postgres postgres'));
        }
        expect(backends.length).toBeGreaterThan(0);
        for (const b of backends) pids.add(b);
        for (const b of backends) process.kill(b, 'SIGSTOP');
        process.kill(pm, 'SIGKILL');
        const log: string[] = [];
        await postgresqlAgent.clean(ctx({}, 30_000, log));
        expect(clusterProcesses(pgConfig(ctx()))).toEqual([]);
        for (const b of backends) expect(isRunning(b)).toBe(false);
        // Our own postmaster's lock file: tidied.
        expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
        expect(log.join('\n')).toMatch(/ending processes of .* left behind/);
        expect(log.join('\n')).toMatch(/SIGKILL to .* \(did not end .*after SIGTERM\)/);
        await postgresqlAgent.online(ctx());
        pids.add(postmasterPid()!);
        expect((await postgresqlAgent.observe(ctx())).state).toBe('running');
        await postgresqlAgent.offline(ctx());
      } finally {
        client.kill('SIGKILL');
      }
    });

    it('a data directory not owned by the OS user: refused before starting', async () => {
      chownSync(dataDir, 0, 0);
      try {
        await expect(postgresqlAgent.online(ctx())).rejects.toThrow(/owned by uid 0, not by OsUser postgres/);
      } finally {
        const { uid, gid } = lookupUser('postgres');
        chownSync(dataDir, uid, gid);
      }
    });

    it('the port already taken: refused, naming the process', async () => {
      const server: Server = createServer();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      try {
        await expect(postgresqlAgent.online(ctx())).rejects.toThrow(new RegExp(`Port ${port} is already in use by pid ${process.pid}`));
      } finally {
        await new Promise((r) => server.close(r));
      }
      expect(await postgresqlAgent.observe(ctx())).toMatchObject({ state: 'stopped' });
    });

    it('missing data directory, missing OS user, unsafe SocketDir: clear errors', async () => {
      await expect(postgresqlAgent.online(ctx({ DataDir: join(top, 'nope') }))).rejects.toThrow(/DataDir .*nope does not exist/);
      await expect(postgresqlAgent.online(ctx({ OsUser: 'no-such-user-x' }))).rejects.toThrow(/OsUser no-such-user-x does not exist/);
      await expect(postgresqlAgent.online(ctx({ SocketDir: '/tmp -c shared_buffers=1' }))).rejects.toThrow(/SocketDir .* must be an absolute path/);
      await expect(postgresqlAgent.online(ctx({ Port: '5432 -c x=y' }))).rejects.toThrow(/Port must be an integer/);
      await expect(postgresqlAgent.online(ctx({ PgBinDir: '/usr/lib/postgresql/99/bin' }))).rejects.toThrow(/install the Debian package postgresql-99/);
    });
  });
});
