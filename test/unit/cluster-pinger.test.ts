// Continuous ICMP with the real iputils ping. Answers come from 127.0.0.1;
// silence needs an address nobody holds, which loopback cannot give (all of
// 127/8 answers), so a private network namespace holds 10.213.250.1/24 and
// fd00:213::1/64 on a veth whose other end has no address: .9 / ::9 never answer.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pinger, pingArgs, runLength } from '../../src/cluster/pinger.js';
import { waitFor } from '../lab/wait.mjs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The lab's bounded wait (test/lab/wait.mjs) for a condition of this test. */
const until = (check: () => boolean, ms = 5000): Promise<unknown> => waitFor('the condition', () => check(), ms, 20);
const alive = (pid: number) => {
  try {
    const stat = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
};

describe('pinger', () => {
  it('builds iputils arguments: numeric, report unanswered, sub-second interval, bounded run', () => {
    expect(pingArgs('10.213.0.254', 200, 60)).toEqual(['-n', '-O', '-i', '0.2', '-W', '1', '-w', '60', '10.213.0.254']);
    expect(pingArgs('fe80::1%eth0', 50, 60)).toContain('0.05');
    expect(() => new Pinger({ addresses: ['-f'] })).toThrow(/not an address/);
  });

  it('each run lasts RunSeconds give or take a quarter, drawn anew: the pings of many addresses do not all restart in the same tick', () => {
    expect(runLength(60, () => 0)).toBe(45);
    expect(runLength(60, () => 0.5)).toBe(60);
    expect(runLength(60, () => 0.999)).toBe(75);
    expect(runLength(1, () => 0)).toBe(1);
    const lengths = new Set(Array.from({ length: 200 }, () => runLength(60)));
    expect(lengths.size).toBeGreaterThan(10);
    for (const l of lengths) expect(l >= 45 && l <= 75).toBe(true);
  });

  it('127.0.0.1 answers continuously; close stops the ping process by its PID', async () => {
    const p = new Pinger({ addresses: ['127.0.0.1'], intervalMs: 100 });
    const answers: number[] = [];
    p.on('answer', (_a, at) => answers.push(at));
    p.start();
    try {
      await until(() => answers.length >= 3);
      expect(p.lastAnswerAgeMs('127.0.0.1')).toBeLessThan(300);
      const pid = p.status()[0]!.pid!;
      expect(alive(pid)).toBe(true);
      await p.close();
      expect(alive(pid)).toBe(false);
      expect(p.status()[0]!.pid).toBeNull();
    } finally {
      await p.close();
    }
  });

  it('a ping that exits is started again, and answers keep their time across restarts', async () => {
    const p = new Pinger({ addresses: ['127.0.0.2'], intervalMs: 100, runSeconds: 1 });
    p.start();
    try {
      await until(() => p.status()[0]!.restarts >= 1, 5000);
      // A run that reached its deadline is replaced at once: no gap in the answers.
      expect(p.lastAnswerAgeMs('127.0.0.2')).toBeLessThan(400);
      const answersBefore = p.status()[0]!.answers;
      await until(() => p.status()[0]!.answers > answersBefore + 2, 5000);
      expect(p.lastAnswerAgeMs('127.0.0.2')).toBeLessThan(1500);
    } finally {
      await p.close();
    }
  });
});

const hasIp = ['/usr/sbin/ip', '/sbin/ip', '/bin/ip', '/usr/bin/ip'].some((p) => existsSync(p));
const ns = `mccs-ut-ping-${process.pid}`;
let nsReady = false;

describe('pinger: silent addresses (network namespace)', () => {
  beforeAll(() => {
    if (process.getuid?.() !== 0) {
      console.log('skipping silent-address pinger tests: not root (needs `ip netns add`)');
      return;
    }
    if (!hasIp) {
      console.log('skipping silent-address pinger tests: `ip` not found');
      return;
    }
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    ip('netns', 'add', ns);
    nsReady = true;
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ip('-n', ns, 'addr', 'add', '10.213.250.1/24', 'dev', 'v0');
    ip('-n', ns, '-6', 'addr', 'add', 'fd00:213::1/64', 'dev', 'v0', 'nodad');
    ip('-n', ns, 'link', 'set', 'v0', 'up');
    ip('-n', ns, 'link', 'set', 'v1', 'up');
  });
  afterAll(() => {
    if (nsReady) execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
  });

  it('an address nobody holds stays silent (IPv4 and IPv6) while a held one answers', async (ctx) => {
    if (!nsReady) ctx.skip();
    const p = new Pinger({ addresses: ['10.213.250.1', '10.213.250.9', 'fd00:213::9'], intervalMs: 100, command: ['ip', 'netns', 'exec', ns, 'ping'] });
    p.start();
    try {
      await until(() => p.lastAnswerAt('10.213.250.1') !== undefined);
      await sleep(1200);
      const byAddress = Object.fromEntries(p.status().map((s) => [s.address, s]));
      expect(byAddress['10.213.250.1']!.lastAnswerAgeMs).toBeLessThan(400);
      expect(byAddress['10.213.250.9']!.lastAnswerAgeMs).toBeNull();
      expect(byAddress['10.213.250.9']!.silenceMs).toBeGreaterThanOrEqual(1200);
      expect(byAddress['fd00:213::9']!.lastAnswerAgeMs).toBeNull();
      expect(p.lastAnswerAgeMs('10.213.250.9')).toBeGreaterThanOrEqual(1200);
      // One process per address, each a real ping.
      const pids = p.status().map((s) => s.pid);
      expect(new Set(pids).size).toBe(3);
      for (const pid of pids) expect(execFileSync('cat', [`/proc/${pid}/comm`], { encoding: 'utf8' }).trim()).toBe('ping');
    } finally {
      await p.close();
    }
  });
});
