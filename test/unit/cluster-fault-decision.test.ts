// The story of each case: both links were heard until some time, the pinger
// last heard the peer and the gateway at some time; what does this node conclude?
// Times are monotonic ms; defaults: HBInterval 1000, HBTimeout 1000,
// SplitThreshold 500, IsolationTestTimeout 3000.
import { describe, expect, it } from 'vitest';
import { decide, decideStartAlone, type FaultFacts, type StartAloneFacts } from '../../src/cluster/fault-decision.js';
import { healWinner } from '../../src/engine/policy/heal.js';

interface Case {
  name: string;
  now: number;
  /** last heard on PRIMARY, SECONDARY (undefined: never heard) */
  hb: [number | undefined, number | undefined] | [number];
  /** last ICMP answer per peer address */
  peer: (number | undefined)[];
  /** last ICMP answer per isolation test address */
  test: (number | undefined)[];
  over?: Partial<FaultFacts>;
  verdict: string;
  code?: string;
  recheckAt?: number;
}

const base = (c: Case): FaultFacts => ({
  now: c.now,
  startedAt: 0,
  links: c.hb.map((t, i) => ({ link: i === 0 ? 'PRIMARY' : 'SECONDARY', lastHeardAt: t })),
  hbIntervalMs: 1000,
  splitThresholdMs: 500,
  hbTimeoutMs: 1000,
  isolationTestTimeoutMs: 3000,
  peerAddresses: c.peer.map((t, i) => ({ address: `10.213.${i}.2`, lastAnswerAt: t })),
  testAddresses: c.test.map((t, i) => ({ address: `10.213.0.25${4 + i}`, lastAnswerAt: t })),
  fenceConfigured: false,
  ...c.over,
});

// Links last heard at 10_000 unless said otherwise: every link is down at 11_000.
const cases: Case[] = [
  // --- not every link silent yet
  { name: 'a link heard 999 ms ago: no decision until it is 1000 ms silent', now: 10_999, hb: [10_000, 9_990], peer: [10_900], test: [10_950], verdict: 'WAIT', code: 'LINK_ALIVE', recheckAt: 11_000 },

  // --- remote node fault (power-off): peer silent on heartbeat and ICMP, gateway answers
  { name: 'power-off: peer ICMP silent exactly HBTimeout, gateway answered after the links went down', now: 11_050, hb: [10_000, 9_990], peer: [10_050, 10_040], test: [11_010], verdict: 'NODE_FAULT' },
  { name: 'power-off: peer ICMP silent 1 ms short of HBTimeout: wait until exactly HBTimeout', now: 11_049, hb: [10_000, 9_990], peer: [10_050, 10_040], test: [11_010], verdict: 'WAIT', code: 'ICMP_PENDING', recheckAt: 11_050 },
  { name: 'no IsolationTestAddresses: node fault without the isolation check', now: 11_100, hb: [10_000, 10_000], peer: [10_000, 10_000], test: [], verdict: 'NODE_FAULT' },
  { name: 'peer never answered ICMP since start: silence counts from start', now: 11_000, hb: [10_000, 10_000], peer: [undefined, undefined], test: [11_000.5], verdict: 'NODE_FAULT' },
  { name: 'single link configured: node fault on that link alone', now: 11_100, hb: [10_000], peer: [10_000], test: [11_050], verdict: 'NODE_FAULT' },

  // --- the gateway answer must come strictly after every link was down
  { name: 'peer silent, gateway last answered exactly when the links went down: not proven reachable', now: 11_100, hb: [10_000, 10_000], peer: [10_000], test: [11_000], verdict: 'WAIT', code: 'ISOLATION_UNKNOWN', recheckAt: 14_000 },
  { name: 'peer silent, gateway silent since the cut for 2999 ms: still waiting', now: 12_999, hb: [10_000, 10_000], peer: [10_000], test: [10_000], verdict: 'WAIT', code: 'ISOLATION_UNKNOWN', recheckAt: 13_000 },

  // --- isolation
  { name: 'isolated: gateway silent exactly IsolationTestTimeout', now: 13_000, hb: [10_000, 10_000], peer: [10_000], test: [10_000], verdict: 'ISOLATED' },
  { name: 'isolated: every test address must be silent (one still answers → not isolated)', now: 13_500, hb: [10_000, 10_000], peer: [10_000], test: [10_000, 13_400], verdict: 'NODE_FAULT' },
  { name: 'isolated wins over split', now: 14_000, hb: [10_000, 8_000], peer: [10_000], test: [10_000, 10_500], verdict: 'ISOLATED' },

  // --- split
  { name: 'split: links dropped 501 ms apart', now: 11_200, hb: [10_000, 9_499], peer: [10_000], test: [11_100], verdict: 'SPLIT' },
  { name: 'not split: links dropped exactly SplitThreshold apart', now: 11_200, hb: [10_000, 9_500], peer: [10_000], test: [11_100], verdict: 'NODE_FAULT' },
  { name: 'split: a link that was never up (jeopardy since start) then the other drops', now: 11_200, hb: [10_000, undefined], peer: [10_000], test: [11_100], verdict: 'SPLIT' },
  { name: 'SplitThreshold 0 turns split detection off', now: 11_200, hb: [10_000, 5_000], peer: [10_000], test: [11_100], over: { splitThresholdMs: 0 }, verdict: 'NODE_FAULT' },
  { name: 'split wins over the peer answering ICMP', now: 11_300, hb: [10_000, 9_000], peer: [11_200], test: [11_200], verdict: 'SPLIT' },

  // --- engine exited: host answers ICMP after the links went down
  { name: 'engine killed: peer host answered after every link was down', now: 11_150, hb: [10_000, 10_000], peer: [11_100, 11_050], test: [11_100], verdict: 'PEER_EXITED' },
  { name: 'engine killed: last answer exactly when the links went down proves nothing yet', now: 11_050, hb: [10_000, 10_000], peer: [11_000], test: [11_040], verdict: 'WAIT', code: 'ICMP_PENDING', recheckAt: 12_000 },
  { name: 'exited peer whose host then falls silent for HBTimeout: node fault', now: 12_300, hb: [10_000, 10_000], peer: [11_300], test: [12_250], verdict: 'NODE_FAULT' },
  { name: 'exited peer: one address still answers, the other silent: still exited', now: 12_300, hb: [10_000, 10_000], peer: [11_200, 12_250], test: [12_250], verdict: 'PEER_EXITED' },

  // --- three or more nodes: what the other peers hear
  { name: 'three nodes: the silent peer is still heard by another peer: broken links only, no takeover (looked at again next heartbeat period)', now: 11_100, hb: [10_000, 10_000], peer: [10_000], test: [11_050], over: { heardByPeers: ['node2'], otherPeersHeard: ['node2'] }, verdict: 'WAIT', code: 'HEARD_BY_PEERS', recheckAt: 11_200 },
  { name: 'three nodes: heard by another peer wins over isolation and split', now: 14_000, hb: [10_000, 8_000], peer: [10_000], test: [10_000], over: { heardByPeers: ['node3'], otherPeersHeard: ['node3'] }, verdict: 'WAIT', code: 'HEARD_BY_PEERS' },
  { name: 'three nodes: the other peers stopped hearing it too: node fault', now: 11_100, hb: [10_000, 10_000], peer: [10_000], test: [11_050], over: { heardByPeers: [], otherPeersHeard: ['node2'] }, verdict: 'NODE_FAULT' },
  { name: 'three nodes: gateway silent but another peer is heard: this node is not the one cut off', now: 13_000, hb: [10_000, 10_000], peer: [10_000], test: [10_000], over: { heardByPeers: [], otherPeersHeard: ['node2'] }, verdict: 'WAIT', code: 'ISOLATION_UNKNOWN' },
  { name: 'three nodes: no peer heard and the gateway silent: isolated', now: 13_000, hb: [10_000, 10_000], peer: [10_000], test: [10_000], over: { heardByPeers: [], otherPeersHeard: [] }, verdict: 'ISOLATED' },
];

describe('decide: all heartbeat links silent', () => {
  it.each(cases)('$name → $verdict', (c) => {
    const d = decide(base(c));
    expect(d.verdict).toBe(c.verdict);
    if (c.code) expect(d.code).toBe(c.code);
    if (c.recheckAt !== undefined) expect(d.recheckAt).toBe(c.recheckAt);
    expect(d.message.length).toBeGreaterThan(20);
    expect(d.facts).toHaveProperty('linkSpreadMs');
  });

  it('the message warns of double runs without fencing, and says fence first with it', () => {
    const c = cases.find((x) => x.name.startsWith('power-off: peer ICMP silent exactly'))!;
    expect(decide(base(c)).message).toMatch(/no FenceProgram/);
    expect(decide({ ...base(c), fenceConfigured: true }).message).toMatch(/fence it, then take over/);
  });
});

describe('decideStartAlone', () => {
  const f = (over: Partial<StartAloneFacts>): StartAloneFacts => ({
    now: 30_000,
    startedAt: 0,
    startAloneTimeoutMs: 20_000,
    peerHeard: false,
    force: false,
    hbTimeoutMs: 1000,
    isolationTestTimeoutMs: 3000,
    peerAddresses: [{ address: '10.213.0.2', lastAnswerAt: undefined }],
    testAddresses: [{ address: '10.213.0.254', lastAnswerAt: 29_900 }],
    ...over,
  });
  const table: Array<[string, Partial<StartAloneFacts>, string, string]> = [
    ['a peer is heard: join, no start alone', { peerHeard: true }, 'JOIN', 'PEER_HEARD'],
    ['StartAloneTimeout 0: wait forever', { startAloneTimeoutMs: 0 }, 'WAIT', 'WAIT_FOREVER'],
    ['operator force overrides even timeout 0 and isolation', { startAloneTimeoutMs: 0, force: true, testAddresses: [{ address: 'g', lastAnswerAt: undefined }] }, 'START_ALONE', 'FORCED'],
    ['timeout not reached (1 ms short)', { now: 19_999 }, 'WAIT', 'TIMEOUT_PENDING'],
    ['timeout reached exactly, peer silent, gateway answers: start alone', { now: 20_000, testAddresses: [{ address: 'g', lastAnswerAt: 19_900 }] }, 'START_ALONE', 'PEER_DOWN'],
    ['peer host answers ICMP (engine stopped): wait', { peerAddresses: [{ address: 'p', lastAnswerAt: 29_500 }] }, 'WAIT', 'PEER_HOST_UP'],
    ['peer host answered exactly HBTimeout ago: silent, start', { peerAddresses: [{ address: 'p', lastAnswerAt: 29_000 }] }, 'START_ALONE', 'PEER_DOWN'],
    ['this node isolated: wait', { testAddresses: [{ address: 'g', lastAnswerAt: 27_000 }] }, 'WAIT', 'ISOLATED'],
    ['no isolation test addresses: start when the peer is silent', { testAddresses: [] }, 'START_ALONE', 'PEER_DOWN'],
  ];
  it.each(table)('%s', (_name, over, verdict, code) => {
    const d = decideStartAlone(f(over));
    expect([d.verdict, d.code]).toEqual([verdict, code]);
  });

  it('says when to look again', () => {
    expect(decideStartAlone(f({ now: 5_000 })).recheckAt).toBe(20_000);
    expect(decideStartAlone(f({ peerAddresses: [{ address: 'p', lastAnswerAt: 29_500 }] })).recheckAt).toBe(30_500);
  });
});

describe('healWinner', () => {
  it('higher takeover generation keeps the group, whatever the priority', () => {
    const r = healWinner({ node: 'node1', generation: 3, rank: 0 }, { node: 'node2', generation: 4, rank: 1 });
    expect(r).toMatchObject({ winner: 'node2', loser: 'node1', code: 'HIGHER_GENERATION' });
  });
  it('same generation: the higher-priority node (earlier in Nodes) keeps it', () => {
    const r = healWinner({ node: 'node2', generation: 4, rank: 1 }, { node: 'node1', generation: 4, rank: 0 });
    expect(r).toMatchObject({ winner: 'node1', code: 'HIGHER_PRIORITY' });
  });
  it('is the same decision on both sides (argument order does not matter)', () => {
    const a = { node: 'node1', generation: 2, rank: 0 };
    const b = { node: 'node2', generation: 2, rank: 0 };
    expect(healWinner(a, b).winner).toBe(healWinner(b, a).winner);
    expect(healWinner(a, b).code).toBe('NAME_ORDER');
  });
});
