// Two engines' membership in one process: real heartbeat links over UDP on
// loopback (node1 = 127.0.0.31/.41, node2 = 127.0.0.32/.42), a scripted ICMP
// source (which addresses "answer"), and a recording runner for FenceProgram.
// Tuned timings: HBInterval 200 ms, HBTimeout 200 ms, SplitThreshold 100 ms.
import { afterEach, describe, expect, it } from 'vitest';
import { monotonic } from '../../src/cluster/clock.js';
import { newIncarnation } from '../../src/cluster/crypto.js';
import { Membership, type FenceReport, type MembershipDecision } from '../../src/cluster/membership.js';
import type { Transition } from '../../src/cluster/node-state.js';
import type { RunOptions, RunResult, Runner } from '../../src/engine/runner.js';
import type { MainConfig, NodeState } from '../../src/model/types.js';
import { waitFor } from '../lab/wait.mjs';
import { FakeIcmp } from '../helpers/fake-icmp.js';

const secret = Buffer.alloc(32, 0x5a);
let port = 24341;
const running: Membership[] = [];
const fakes: FakeIcmp[] = [];

class RecordingRunner implements Runner {
  readonly calls: Array<{ command: string; args: string[] }> = [];
  constructor(private readonly exitCodes: number[]) {}
  async run(command: string, args: string[], _options?: RunOptions): Promise<RunResult> {
    this.calls.push({ command, args });
    const exitCode = this.exitCodes.shift() ?? 0;
    return { command, args, exitCode, stdout: '', stderr: exitCode ? 'power switch unreachable' : '', timedOut: false, durationMs: 1 };
  }
}

function config(hbPort: number, cluster: Record<string, unknown> = {}): MainConfig {
  return {
    ConfigVersion: 7,
    Cluster: { ClusterName: 'lab', HBPort: hbPort, HBInterval: 200, HBTimeout: 200, SplitThreshold: 100, IsolationTestTimeout: 1, ...cluster },
    Nodes: [
      { NodeName: 'node1', PrimaryHB: '127.0.0.31', SecondaryHB: '127.0.0.41', IsolationTestAddresses: '10.213.0.254' },
      { NodeName: 'node2', PrimaryHB: '127.0.0.32', SecondaryHB: '127.0.0.42', IsolationTestAddresses: '10.213.0.254' },
    ],
    Groups: [],
  };
}

const PEER_OF = { node1: ['127.0.0.32', '127.0.0.42'], node2: ['127.0.0.31', '127.0.0.41'] };

interface Engine {
  m: Membership;
  icmp: FakeIcmp;
  runner: RecordingRunner;
  local: Transition[];
  peers: Array<[string, NodeState, string]>;
  decisions: MembershipDecision[];
  fences: FenceReport[];
  jeopardy: Array<[string, boolean]>;
  /** Links up with each jeopardy event (2: both back; 0: the last one went down too). */
  jeopardyLinks: number[];
}

function engine(node: 'node1' | 'node2', cfg: MainConfig, opts: { fenceExitCodes?: number[]; answering?: string[] } = {}): Engine {
  const icmp = new FakeIcmp(opts.answering ?? [...PEER_OF[node], '10.213.0.254']);
  const runner = new RecordingRunner(opts.fenceExitCodes ?? []);
  const m = new Membership({ config: cfg, localNode: node, secret, icmp, runner, incarnation: newIncarnation(), pingIntervalMs: 50, fenceRetryMs: 100 });
  const e: Engine = { m, icmp, runner, local: [], peers: [], decisions: [], fences: [], jeopardy: [], jeopardyLinks: [] };
  m.on('localState', (t) => {
    e.local.push(t);
    // The engine's part: build, then report it.
    if (t.next === 'LOCAL_BUILD') setTimeout(() => m.dispatch({ type: 'buildDone' }), 20);
    if (t.next === 'REMOTE_BUILD') setTimeout(() => m.dispatch({ type: 'remoteBuildDone' }), 20);
  });
  m.on('peerState', (n, s, why) => e.peers.push([n, s, why.code]));
  m.on('decision', (d) => e.decisions.push(d));
  m.on('fence', (r) => e.fences.push(r));
  m.on('jeopardy', (n, on, up) => {
    e.jeopardy.push([n, on]);
    e.jeopardyLinks.push(up);
  });
  running.push(m);
  fakes.push(icmp);
  return e;
}

/** The lab's bounded wait (test/lab/wait.mjs) for a condition of this test. */
const until = (check: () => boolean, ms = 4000): Promise<unknown> => waitFor('the condition', () => check(), ms, 10);

async function cluster(cluster1: Record<string, unknown> = {}, opts1: Parameters<typeof engine>[2] = {}): Promise<[Engine, Engine]> {
  const hbPort = port;
  port += 2;
  const a = engine('node1', config(hbPort, cluster1), opts1);
  const b = engine('node2', config(hbPort));
  await Promise.all([a.m.start(), b.m.start()]);
  await until(() => a.m.localState === 'RUNNING' && b.m.localState === 'RUNNING');
  await until(() => a.m.peerState('node2') === 'RUNNING' && b.m.peerState('node1') === 'RUNNING');
  return [a, b];
}

afterEach(async () => {
  for (const m of running.splice(0)) await m.close();
  for (const f of fakes.splice(0)) await f.close();
});

describe('membership: forming the cluster', () => {
  it('both engines start at once: node1 (first in Nodes) builds locally, node2 takes the configuration from it', async () => {
    const [a, b] = await cluster();
    expect(a.local.map((t) => `${t.next}:${t.code}`)).toEqual(['INITING:START', 'LOCAL_BUILD:BEST_CONFIG', 'RUNNING:BUILD_DONE']);
    expect(b.local.map((t) => `${t.next}:${t.code}`)).toEqual(['INITING:START', 'REMOTE_BUILD:PEER_RUNNING', 'RUNNING:REMOTE_BUILD_DONE']);
    expect(b.local[1]!.facts).toMatchObject({ source: 'node1' });
    const s = a.m.status();
    expect(s.peers[0]).toMatchObject({ node: 'node2', state: 'RUNNING', PrimaryHBStatus: 'UP', SecondaryHBStatus: 'UP', jeopardy: false, configVersion: 7 });
    expect(s.warnings.some((w) => w.startsWith('NO_FENCING'))).toBe(true);
  });

  it('the group digest set by the engine reaches the peer', async () => {
    const [a, b] = await cluster();
    const seen: unknown[] = [];
    a.m.on('peerGroups', (_n, g) => seen.push(g));
    b.m.setGroupDigest({ web: 'ONLINE' });
    await until(() => seen.length > 0);
    expect(a.m.peerGroups('node2')).toEqual({ web: 'ONLINE' });
  });
});

describe('membership: a peer goes silent', () => {
  it('one link lost: jeopardy on, no decision', async () => {
    const [a, b] = await cluster();
    (b.m as unknown as { links: { closeLink(l: string): void } }).links.closeLink('SECONDARY');
    await until(() => a.jeopardy.length > 0);
    expect(a.jeopardy).toEqual([['node2', true]]);
    expect(a.m.status()).toMatchObject({ jeopardy: true });
    await new Promise((r) => setTimeout(r, 400));
    expect(a.decisions).toEqual([]);
    expect(a.m.peerState('node2')).toBe('RUNNING');
  });

  it('jeopardy, then the last link goes down too: the end of jeopardy says 0 links up (not "both up again")', async () => {
    const [a, b] = await cluster();
    const links = (b.m as unknown as { links: { closeLink(l: string): void } }).links;
    links.closeLink('SECONDARY');
    await until(() => a.jeopardy.length > 0);
    links.closeLink('PRIMARY');
    await until(() => a.jeopardy.length > 1);
    expect(a.jeopardy).toEqual([['node2', true], ['node2', false]]);
    expect(a.jeopardyLinks).toEqual([1, 0]);
  });

  it('each heartbeat carries the configuration checksum: the peer sees it with the version', async () => {
    const [a, b] = await cluster();
    await until(() => a.m.peerConfig('node2')?.checksum !== undefined);
    expect(a.m.peerConfig('node2')).toEqual({ version: 7, checksum: b.m.status().configChecksum });
    expect(a.m.status().peers[0]).toMatchObject({ configVersion: 7, configChecksum: b.m.status().configChecksum });
  });

  it('planned stop (SIGTERM of node2 engine): node2 EXITED at once, never FAULTED', async () => {
    const [a, b] = await cluster();
    const t0 = monotonic();
    await b.m.plannedStop();
    await b.m.close();
    await until(() => a.m.peerState('node2') === 'EXITED');
    expect(monotonic() - t0).toBeLessThan(200);
    expect(a.peers.at(-1)).toEqual(['node2', 'EXITED', 'PLANNED_STOP']);
    await until(() => a.decisions.length > 0);
    expect(a.decisions[0]).toMatchObject({ verdict: 'PEER_EXITED' });
    expect(a.peers.some(([, s]) => s === 'FAULTED')).toBe(false);
  });

  it('engine killed, host up: PEER_EXITED, no takeover; then the host dies: NODE_FAULT', async () => {
    const [a, b] = await cluster();
    await b.m.close();
    await until(() => a.decisions.length > 0);
    expect(a.decisions[0]).toMatchObject({ node: 'node2', verdict: 'PEER_EXITED' });
    expect(a.m.peerState('node2')).toBe('EXITED');
    for (const addr of PEER_OF.node1) a.icmp.answering.delete(addr);
    await until(() => a.decisions.length > 1);
    expect(a.decisions[1]).toMatchObject({ verdict: 'NODE_FAULT', fenced: null });
    expect(a.m.peerState('node2')).toBe('FAULTED');
  });

  it('power-off of node2 with a FenceProgram that fails once: takeover waits for the fence to succeed', async () => {
    const [a, b] = await cluster({ FenceProgram: '/usr/local/sbin/fence-lab' }, { fenceExitCodes: [1, 0] });
    for (const addr of PEER_OF.node1) a.icmp.answering.delete(addr);
    await b.m.close();
    await until(() => a.decisions.length > 0, 5000);
    expect(a.fences.map((f) => f.phase)).toEqual(['STARTED', 'FAILED', 'STARTED', 'SUCCEEDED']);
    expect(a.runner.calls).toEqual([
      { command: '/usr/local/sbin/fence-lab', args: ['node2'] },
      { command: '/usr/local/sbin/fence-lab', args: ['node2'] },
    ]);
    expect(a.decisions).toHaveLength(1);
    expect(a.decisions[0]).toMatchObject({ verdict: 'NODE_FAULT', fenced: true });
    expect(a.m.peerState('node2')).toBe('FAULTED');
    expect(a.m.status().peers[0]!.fence).toMatchObject({ phase: 'SUCCEEDED', attempt: 2 });
  });

  it('a fence that keeps failing blocks the takeover', async () => {
    const [a, b] = await cluster({ FenceProgram: '/usr/local/sbin/fence-lab' }, { fenceExitCodes: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] });
    for (const addr of PEER_OF.node1) a.icmp.answering.delete(addr);
    await b.m.close();
    await until(() => a.fences.filter((f) => f.phase === 'FAILED').length >= 2, 5000);
    expect(a.decisions).toEqual([]);
    expect(a.m.peerState('node2')).toBe('RUNNING');
  });

  it('with a witness and a FenceProgram: a peer that still renews at the witness is a PARTITION (no fence); once it lapses, fence, then NODE_FAULT', async () => {
    const [a, b] = await cluster({ FenceProgram: '/usr/local/sbin/fence-lab' }, { fenceExitCodes: [0] });
    let aliveUntil = monotonic() + 60_000;
    a.m.witnessInput = () => ({ reachable: true, peerAliveUntil: aliveUntil, peerReachable: true, marginMs: 50 });
    for (const addr of PEER_OF.node1) a.icmp.answering.delete(addr);
    await b.m.close();
    await until(() => a.decisions.length > 0, 5000);
    expect(a.decisions[0]).toMatchObject({ verdict: 'PARTITION', code: 'PARTITION' });
    expect(a.runner.calls).toEqual([]);
    expect(a.m.peerState('node2')).toBe('RUNNING');
    expect(a.m.status().warnings.some((w) => w.startsWith('NO_FENCING'))).toBe(false);
    aliveUntil = monotonic(); // its renewals stop
    await until(() => a.decisions.length > 1, 5000);
    expect(a.runner.calls).toEqual([{ command: '/usr/local/sbin/fence-lab', args: ['node2'] }]);
    expect(a.decisions[1]).toMatchObject({ verdict: 'NODE_FAULT', fenced: true });
    expect(a.m.peerState('node2')).toBe('FAULTED');
  });

  it('a NODE_FAULT says what it waited for: facts.waited lists each WAIT code in order, with how long before the verdict it began', async () => {
    const [a, b] = await cluster();
    const renewedAt = monotonic();
    const aliveUntil = renewedAt + 700; // the last renewal seen, before the links went down: WITNESS_PENDING until it lapses
    a.m.witnessInput = () => ({ reachable: true, peerAliveUntil: aliveUntil, peerRenewedAt: renewedAt, marginMs: 20 });
    for (const addr of PEER_OF.node1) a.icmp.answering.delete(addr);
    await b.m.close();
    await until(() => a.decisions.length > 0, 5000);
    expect(a.decisions[0]).toMatchObject({ verdict: 'NODE_FAULT' });
    const waited = a.decisions[0]!.facts.waited as { code: string; sinceMs: number }[];
    expect(waited.map((w) => w.code)).toContain('WITNESS_PENDING');
    // One entry per change of code, oldest first.
    for (let i = 1; i < waited.length; i++) {
      expect(waited[i]!.code).not.toBe(waited[i - 1]!.code);
      expect(waited[i]!.sinceMs).toBeLessThanOrEqual(waited[i - 1]!.sinceMs);
    }
    expect(waited.every((w) => w.sinceMs >= 0)).toBe(true);
  });

  it('all links and the gateway silent: node1 is ISOLATED after IsolationTestTimeout', async () => {
    const [a, b] = await cluster();
    a.icmp.answering.clear();
    await b.m.close();
    await until(() => a.decisions.length > 0, 5000);
    expect(a.decisions[0]).toMatchObject({ verdict: 'ISOLATED', code: 'ISOLATED' });
    expect(a.m.peerState('node2')).toBe('RUNNING'); // unknown: last known state kept
  });

  it('links dropped further apart than SplitThreshold: SPLIT, no takeover', async () => {
    const [a, b] = await cluster();
    for (const addr of PEER_OF.node1) a.icmp.answering.delete(addr);
    (b.m as unknown as { links: { closeLink(l: string): void } }).links.closeLink('SECONDARY');
    await new Promise((r) => setTimeout(r, 300));
    await b.m.close();
    await until(() => a.decisions.length > 0);
    expect(a.decisions[0]).toMatchObject({ verdict: 'SPLIT' });
    await new Promise((r) => setTimeout(r, 300));
    expect(a.decisions.map((d) => d.verdict)).toEqual(['SPLIT']);
    expect(a.m.peerState('node2')).toBe('RUNNING');
  });
});

describe('membership: starting alone', () => {
  it('StartAloneTimeout 0: waits forever and says so; an operator can force the start', async () => {
    const hbPort = port;
    port += 2;
    const a = engine('node1', config(hbPort), { answering: ['10.213.0.254'] });
    await a.m.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(a.m.localState).toBe('INITING');
    expect(a.m.status().startAlone).toMatchObject({ verdict: 'WAIT', code: 'WAIT_FOREVER' });
    a.m.forceStartAlone();
    await until(() => a.m.localState === 'RUNNING');
    expect(a.local.map((t) => t.code)).toContain('START_ALONE_FORCED');
  });

  it('with a timeout, the peer host answering ICMP (engine stopped) keeps it waiting; once silent it starts alone', async () => {
    const hbPort = port;
    port += 2;
    const a = engine('node1', config(hbPort, { StartAloneTimeout: 1 }), { answering: [...PEER_OF.node1, '10.213.0.254'] });
    await a.m.start();
    await new Promise((r) => setTimeout(r, 1300));
    expect(a.m.localState).toBe('INITING');
    expect(a.m.status().startAlone).toMatchObject({ verdict: 'WAIT', code: 'PEER_HOST_UP' });
    for (const addr of PEER_OF.node1) a.icmp.answering.delete(addr);
    await until(() => a.m.localState === 'RUNNING');
    expect(a.local.map((t) => t.code)).toContain('START_ALONE');
  });

  it('a node that started alone sees the peer join later: the peer takes the configuration from it', async () => {
    const hbPort = port;
    port += 2;
    const a = engine('node1', config(hbPort), { answering: ['10.213.0.254'] });
    await a.m.start();
    a.m.forceStartAlone();
    await until(() => a.m.localState === 'RUNNING');
    const b = engine('node2', config(hbPort));
    await b.m.start();
    await until(() => b.m.localState === 'RUNNING');
    expect(b.local.map((t) => t.code)).toContain('PEER_RUNNING');
    expect(a.m.localState).toBe('RUNNING');
  });
});

describe('membership with the real pinger', () => {
  it('engine killed on a host that answers ICMP (loopback): PEER_EXITED from real ping answers, no takeover', async () => {
    const hbPort = port;
    port += 2;
    const cfg = config(hbPort);
    for (const n of cfg.Nodes) n.IsolationTestAddresses = '127.0.0.1';
    const make = (node: 'node1' | 'node2') => {
      const m = new Membership({ config: cfg, localNode: node, secret, pingIntervalMs: 100 });
      m.on('localState', (t) => {
        if (t.next === 'LOCAL_BUILD') m.dispatch({ type: 'buildDone' });
        if (t.next === 'REMOTE_BUILD') m.dispatch({ type: 'remoteBuildDone' });
      });
      running.push(m);
      return m;
    };
    const a = make('node1');
    const b = make('node2');
    const decisions: MembershipDecision[] = [];
    a.on('decision', (d) => decisions.push(d));
    await Promise.all([a.start(), b.start()]);
    await until(() => a.peerState('node2') === 'RUNNING');
    await until(() => a.status().peers[0]!.icmp.every((x) => x.lastAnswerAgeMs !== null));
    await b.close();
    await until(() => decisions.length > 0);
    expect(decisions[0]).toMatchObject({ verdict: 'PEER_EXITED' });
    expect(a.peerState('node2')).toBe('EXITED');
    expect(a.status().isolationTests[0]!.lastAnswerAgeMs).toBeLessThan(500);
  });
});
