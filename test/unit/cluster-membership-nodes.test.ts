// Three engines' membership in one process (issue 16): real heartbeat links
// over UDP on loopback (nodeN = 127.0.0.5N / 127.0.0.6N), a scripted ICMP
// source. Tuned timings: HBInterval 200 ms, HBTimeout 200 ms.
import { afterEach, describe, expect, it } from 'vitest';
import { newIncarnation } from '../../src/cluster/crypto.js';
import { Membership, type MembershipDecision } from '../../src/cluster/membership.js';
import type { MainConfig, NodeConfig } from '../../src/model/types.js';
import { waitFor } from '../lab/wait.mjs';
import { FakeIcmp } from '../helpers/fake-icmp.js';

const secret = Buffer.alloc(32, 0x6b);
let port = 24461;
const running: Membership[] = [];
const fakes: FakeIcmp[] = [];

const node = (i: number): NodeConfig => ({ NodeName: `node${i}`, PrimaryHB: `127.0.0.5${i}`, SecondaryHB: `127.0.0.6${i}`, IsolationTestAddresses: '10.213.0.254' });

function config(hbPort: number, nodes: number[], version = 7): MainConfig {
  return {
    ConfigVersion: version,
    Cluster: { ClusterName: 'trio', HBPort: hbPort, HBInterval: 200, HBTimeout: 200, SplitThreshold: 100, IsolationTestTimeout: 1 },
    Nodes: nodes.map(node),
    Groups: [],
  };
}

interface Engine {
  m: Membership;
  icmp: FakeIcmp;
  decisions: MembershipDecision[];
}

function engine(i: number, cfg: MainConfig): Engine {
  const everyone = [1, 2, 3, 4].flatMap((n) => (n === i ? [] : [`127.0.0.5${n}`, `127.0.0.6${n}`]));
  const icmp = new FakeIcmp([...everyone, '10.213.0.254']);
  const m = new Membership({ config: cfg, localNode: `node${i}`, secret, icmp, incarnation: newIncarnation(), pingIntervalMs: 50 });
  const e: Engine = { m, icmp, decisions: [] };
  m.on('localState', (t) => {
    if (t.next === 'LOCAL_BUILD') setTimeout(() => m.dispatch({ type: 'buildDone' }), 20);
    if (t.next === 'REMOTE_BUILD') setTimeout(() => m.dispatch({ type: 'remoteBuildDone' }), 20);
  });
  m.on('decision', (d) => e.decisions.push(d));
  running.push(m);
  fakes.push(icmp);
  return e;
}

/** Drops, at e, every heartbeat datagram sent from node `from`'s addresses (a broken pair of links, nothing else). */
function cut(e: Engine, from: number): void {
  const links = (e.m as unknown as { links: { receive(link: string, msg: Buffer, source: string): void } }).links;
  const receive = links.receive.bind(links);
  links.receive = (link, msg, source) => {
    if (source.startsWith(`127.0.0.5${from}:`) || source.startsWith(`127.0.0.6${from}:`)) return;
    receive(link, msg, source);
  };
}

const until = (what: string, check: () => boolean, ms = 5000): Promise<unknown> => waitFor(what, () => check(), ms, 10);

async function trio(): Promise<Engine[]> {
  const hbPort = port;
  port += 2;
  const all = [1, 2, 3].map((i) => engine(i, config(hbPort, [1, 2, 3])));
  await Promise.all(all.map((e) => e.m.start()));
  await until('three nodes RUNNING, each hearing two RUNNING peers', () => all.every((e) => e.m.localState === 'RUNNING' && e.m.peerNames().every((p) => e.m.peerState(p) === 'RUNNING')));
  return all;
}

afterEach(async () => {
  for (const m of running.splice(0)) await m.close();
  for (const f of fakes.splice(0)) await f.close();
});

describe('membership of three nodes', () => {
  it('three engines at once: node1 builds, the others take the configuration; every node hears the two others', async () => {
    const [a, b, c] = await trio();
    expect(a!.m.peerNames()).toEqual(['node2', 'node3']);
    expect(c!.m.peerNames()).toEqual(['node1', 'node2']);
    expect(a!.m.livePeersHeard()).toBe(true);
    expect(b!.m.status().peers.map((p) => p.node)).toEqual(['node1', 'node3']);
  });

  it('node3 dies (silent on heartbeat and ICMP): node1 and node2 both judge it FAULTED and still hear each other', async () => {
    const [a, b, c] = await trio();
    for (const e of [a!, b!]) for (const addr of ['127.0.0.53', '127.0.0.63']) e.icmp.answering.delete(addr);
    await c!.m.close();
    await until('node1 and node2 judge node3 dead', () => a!.m.peerState('node3') === 'FAULTED' && b!.m.peerState('node3') === 'FAULTED');
    expect(a!.decisions.at(-1)).toMatchObject({ node: 'node3', verdict: 'NODE_FAULT' });
    expect(b!.decisions.at(-1)).toMatchObject({ node: 'node3', verdict: 'NODE_FAULT' });
    expect(a!.decisions.filter((d) => d.node === 'node2')).toEqual([]);
    // node3 is dead, node2 heard: node1 still hears every peer that could take over.
    expect(a!.m.livePeersHeard()).toBe(true);
  });

  it('node2 stops hearing node3 while node1 still hears both: no fault of node3 at node2 (broken links only)', async () => {
    const [a, b, c] = await trio();
    // node2 drops every datagram from node3's addresses and node3 every one from node2's: the pair node2-node3 is cut, node1 hears both.
    cut(b!, 3);
    cut(c!, 2);
    for (const addr of ['127.0.0.53', '127.0.0.63']) b!.icmp.answering.delete(addr);
    await new Promise((r) => setTimeout(r, 1500));
    expect(b!.decisions.filter((d) => d.node === 'node3' && d.verdict === 'NODE_FAULT')).toEqual([]);
    expect(b!.m.peerState('node3')).toBe('RUNNING');
    expect(b!.m.status().peers.find((p) => p.node === 'node3')?.decision).toMatchObject({ verdict: 'WAIT', code: 'HEARD_BY_PEERS' });
    expect(a!.m.peerState('node3')).toBe('RUNNING');
    // node2 does not hear every live peer any more: an owner there would not hold on heartbeat alone.
    expect(b!.m.livePeersHeard()).toBe(false);
  });

  it('HEARD_BY_PEERS is decided again on the heartbeat that says the other peer stopped hearing the silent node, not on a timer', async () => {
    const [a, b, c] = await trio();
    cut(b!, 3);
    cut(c!, 2);
    for (const addr of ['127.0.0.53', '127.0.0.63']) b!.icmp.answering.delete(addr);
    const node3At = (e: Engine) => e.m.status().peers.find((p) => p.node === 'node3')?.decision;
    await until('node2 waits on node1 hearing node3', () => node3At(b!)?.code === 'HEARD_BY_PEERS');
    // No timer of node2 looks again from now on: only a heartbeat can move the decision.
    const track = (b!.m as unknown as { peers: Map<string, { decideTimer?: NodeJS.Timeout }> }).peers.get('node3')!;
    clearTimeout(track.decideTimer);
    track.decideTimer = setTimeout(() => undefined, 60_000);
    // node1 stops hearing node3 too: its next heartbeats no longer list node3.
    cut(a!, 3);
    await until('node2 decides about node3 on node1\'s heartbeat', () => b!.decisions.some((d) => d.node === 'node3' && d.verdict === 'NODE_FAULT'));
    const fault = b!.decisions.find((d) => d.node === 'node3' && d.verdict === 'NODE_FAULT')!;
    expect((fault.facts.waited as { code: string }[]).map((w) => w.code)).toContain('HEARD_BY_PEERS');
  });

  it('a node joins a running pair and leaves again, without a restart of the others', async () => {
    const hbPort = port;
    port += 2;
    const [a, b] = [1, 2].map((i) => engine(i, config(hbPort, [1, 2])));
    await Promise.all([a!.m.start(), b!.m.start()]);
    await until('the pair RUNNING', () => a!.m.localState === 'RUNNING' && b!.m.localState === 'RUNNING' && a!.m.peerState('node2') === 'RUNNING');
    const three = config(hbPort, [1, 2, 3], 8);
    expect(a!.m.applyConfig(three)).toEqual([]);
    expect(b!.m.applyConfig(three)).toEqual([]);
    expect(a!.icmp.pinged).toEqual(new Set(['127.0.0.53', '127.0.0.63']));
    const c = engine(3, three);
    await c.m.start();
    await until('node3 joins: RUNNING, heard RUNNING by node1 and node2', () => c.m.localState === 'RUNNING' && a!.m.peerState('node3') === 'RUNNING' && b!.m.peerState('node3') === 'RUNNING');
    expect(a!.m.peerNames()).toEqual(['node2', 'node3']);
    // mcnode remove node3 (its engine stopped first).
    await c.m.plannedStop();
    const two = config(hbPort, [1, 2], 9);
    expect(a!.m.applyConfig(two)).toEqual([]);
    expect(a!.m.peerNames()).toEqual(['node2']);
    expect(a!.icmp.pinged.size).toBe(0);
    expect(a!.m.status().peers.map((p) => p.node)).toEqual(['node2']);
    expect(a!.m.peerState('node2')).toBe('RUNNING');
  });
});
