// Two heartbeat endpoints in one process over real UDP on loopback addresses:
// node1 = 127.0.0.11 (primary) / 127.0.0.21 (secondary), node2 = .12 / .22.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { newIncarnation, Sealer } from '../../src/cluster/crypto.js';
import { addressFamily, HeartbeatLinks, type HeartbeatMessage, type LocalInfo, type RejectInfo } from '../../src/cluster/heartbeat.js';
import { waitFor } from '../lab/wait.mjs';

const secret = Buffer.alloc(32, 0x42);
const HB_INTERVAL = 200;
let port = 24321;
const open: Array<HeartbeatLinks | Socket> = [];

function endpoint(name: 'node1' | 'node2', hbPort: number, incarnation = newIncarnation(), info: Partial<LocalInfo> = {}): HeartbeatLinks {
  const me = name === 'node1' ? { PRIMARY: '127.0.0.11', SECONDARY: '127.0.0.21' } : { PRIMARY: '127.0.0.12', SECONDARY: '127.0.0.22' };
  const other = name === 'node1' ? { node: 'node2', PRIMARY: '127.0.0.12', SECONDARY: '127.0.0.22' } : { node: 'node1', PRIMARY: '127.0.0.11', SECONDARY: '127.0.0.21' };
  const links = new HeartbeatLinks({
    clusterName: 'lab',
    localNode: name,
    secret,
    incarnation,
    local: me,
    peers: [other],
    hbPort,
    hbIntervalMs: HB_INTERVAL,
    info: () => ({ state: 'RUNNING', configVersion: 3, rank: name === 'node1' ? 0 : 1, groups: { web: 'ONLINE' }, ...info }),
  });
  open.push(links);
  return links;
}

async function pair(): Promise<[HeartbeatLinks, HeartbeatLinks, number]> {
  const hbPort = port;
  port += 2;
  const a = endpoint('node1', hbPort);
  const b = endpoint('node2', hbPort);
  await Promise.all([a.start(), b.start()]);
  return [a, b, hbPort];
}

/** The lab's bounded wait (test/lab/wait.mjs) for a condition of this test. */
const until = (check: () => boolean, ms = 3000): Promise<unknown> => waitFor('the condition', () => check(), ms, 10);

afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof HeartbeatLinks) await x.close();
    else x.close();
  }
});

describe('heartbeat links over UDP', () => {
  it('both links come UP on both nodes and carry the sender state', async () => {
    const [a, b] = await pair();
    const got: HeartbeatMessage[] = [];
    a.on('peerMessage', (m) => got.push(m));
    await until(() => a.status().peers[0]!.PrimaryHBStatus === 'UP' && a.status().peers[0]!.SecondaryHBStatus === 'UP');
    await until(() => b.status().peers[0]!.PrimaryHBStatus === 'UP' && b.status().peers[0]!.SecondaryHBStatus === 'UP');
    expect(a.status().peers[0]!.jeopardy).toBe(false);
    await until(() => got.length >= 2);
    expect(got[0]).toMatchObject({ node: 'node2', state: 'RUNNING', configVersion: 3, rank: 1, groups: { web: 'ONLINE' }, plannedStop: false });
    expect(new Set(got.map((m) => m.link))).toEqual(new Set(['PRIMARY', 'SECONDARY']));
    expect(a.status().peers[0]!.lastHeardMs.PRIMARY).toBeLessThan(HB_INTERVAL);
  });

  it('the secondary socket of node2 closes: node1 sees SecondaryHB DOWN after HBInterval, jeopardy, primary still UP', async () => {
    const [a, b] = await pair();
    await until(() => a.status().peers[0]!.SecondaryHBStatus === 'UP' && a.status().peers[0]!.PrimaryHBStatus === 'UP');
    const downs: Array<[string, string, number, number]> = [];
    a.on('linkDown', (peer, link, at, lastHeardAt) => downs.push([peer, link, at, lastHeardAt]));
    b.closeLink('SECONDARY');
    await until(() => downs.length > 0, 2000);
    expect(downs[0]!.slice(0, 2)).toEqual(['node2', 'SECONDARY']);
    const [, , at, lastHeardAt] = downs[0]!;
    expect(at - lastHeardAt).toBeGreaterThanOrEqual(HB_INTERVAL);
    expect(at - lastHeardAt).toBeLessThan(HB_INTERVAL + 100);
    const s = a.status().peers[0]!;
    expect(s).toMatchObject({ PrimaryHBStatus: 'UP', SecondaryHBStatus: 'DOWN', jeopardy: true });
    expect(a.allDown('node2')).toBe(false);
  });

  it('a forged datagram from a third address with another secret is ignored and reported FORGED; a replay is reported REPLAY', async () => {
    const [a, , hbPort] = await pair();
    await until(() => a.status().peers[0]!.PrimaryHBStatus === 'UP');
    const rejected: RejectInfo[] = [];
    const messages: HeartbeatMessage[] = [];
    a.on('rejected', (r) => rejected.push(r));
    a.on('peerMessage', (m) => messages.push(m));

    const intruder = createSocket('udp4');
    open.push(intruder);
    await new Promise<void>((r) => intruder.bind({ address: '127.0.0.13', port: 0 }, () => r()));
    const payload = JSON.stringify({ state: 'FAULTED', configVersion: 99, rank: 0, groups: {}, plannedStop: true });
    const forged = new Sealer({ secret: Buffer.alloc(32, 1), clusterName: 'lab', sender: 'node2', channel: 'HB_PRIMARY', incarnation: newIncarnation() }).seal(payload);
    intruder.send(forged, hbPort, '127.0.0.11');
    await until(() => rejected.length > 0);
    expect(rejected[0]).toMatchObject({ code: 'FORGED', link: 'PRIMARY', sender: 'node2' });
    expect(rejected[0]!.from).toMatch(/^127\.0\.0\.13:/);
    expect(messages.some((m) => m.plannedStop || m.state === 'FAULTED')).toBe(false);

    // A datagram sealed with the right secret, sent twice (as a recorder on the wire would).
    const captured = new Sealer({ secret, clusterName: 'lab', sender: 'node2', channel: 'HB_PRIMARY', incarnation: newIncarnation() }).seal(
      JSON.stringify({ state: 'RUNNING', configVersion: 3, rank: 1, groups: {}, plannedStop: false }),
    );
    intruder.send(captured, hbPort, '127.0.0.11');
    intruder.send(captured, hbPort, '127.0.0.11');
    await until(() => rejected.some((r) => r.code === 'REPLAY'));
    expect(a.status().rejected).toMatchObject({ FORGED: 1, REPLAY: 1 });
    // The first copy was authentic but did not echo node1's boot: not taken for a live peer.
    expect(a.status().unconfirmed).toBeGreaterThanOrEqual(1);
    expect(a.status().peers[0]!.PrimaryHBStatus).toBe('UP');
  });

  it('node2 restarts: its new boot is confirmed; a later replay of its past boot is STALE and a pre-boot recording changes nothing', async () => {
    const hbPort = port;
    port += 2;
    const incA = newIncarnation();
    const inc1 = newIncarnation();
    const a = endpoint('node1', hbPort, incA);
    const b1 = endpoint('node2', hbPort, inc1);
    await Promise.all([a.start(), b1.start()]);
    const incarnations: Array<[string, boolean]> = [];
    a.on('peerMessage', (m) => incarnations.push([m.incarnation, m.newIncarnation]));
    await until(() => a.status().peers[0]!.incarnation === inc1.toString('hex'));
    await b1.close();
    const inc2 = newIncarnation();
    const b2 = endpoint('node2', hbPort, inc2);
    await b2.start();
    await until(() => a.status().peers[0]!.incarnation === inc2.toString('hex'));
    expect(incarnations).toContainEqual([inc2.toString('hex'), true]);

    const rejected: RejectInfo[] = [];
    a.on('rejected', (r) => rejected.push(r));
    const s = createSocket('udp4');
    open.push(s);
    await new Promise<void>((r) => s.bind({ address: '127.0.0.13', port: 0 }, () => r()));
    const body = (echo: string) => JSON.stringify({ echo: { node1: echo }, state: 'INITING', configVersion: 1, rank: 1, groups: {}, plannedStop: false });
    // A recording of the past boot (seq never seen, as if taken on another link tap).
    const past = new Sealer({ secret, clusterName: 'lab', sender: 'node2', channel: 'HB_PRIMARY', incarnation: inc1 });
    for (let i = 0; i < 500; i += 1) past.seal('skip');
    s.send(past.seal(body(incA.toString('hex'))), hbPort, '127.0.0.11');
    await until(() => rejected.length > 0);
    expect(rejected[0]).toMatchObject({ code: 'STALE', sender: 'node2' });
    // A recording from before node1's own boot echoes another node1 boot: ignored.
    const before = new Sealer({ secret, clusterName: 'lab', sender: 'node2', channel: 'HB_PRIMARY', incarnation: newIncarnation() });
    const seen = a.status().unconfirmed;
    s.send(before.seal(body(newIncarnation().toString('hex'))), hbPort, '127.0.0.11');
    await until(() => a.status().unconfirmed > seen);
    expect(a.status().peers[0]!.incarnation).toBe(inc2.toString('hex'));
    expect(incarnations.filter(([, isNew]) => isNew).map(([inc]) => inc)).toEqual([inc1.toString('hex'), inc2.toString('hex')]);
  });

  it('a message from a node that is not a peer is refused (UNKNOWN_NODE)', async () => {
    const [a, , hbPort] = await pair();
    const rejected: RejectInfo[] = [];
    a.on('rejected', (r) => rejected.push(r));
    const s = createSocket('udp4');
    open.push(s);
    await new Promise<void>((r) => s.bind({ address: '127.0.0.13', port: 0 }, () => r()));
    const m = new Sealer({ secret, clusterName: 'lab', sender: 'node9', channel: 'HB_PRIMARY', incarnation: newIncarnation() }).seal('{}');
    s.send(m, hbPort, '127.0.0.11');
    await until(() => rejected.length > 0);
    expect(rejected[0]!.code).toBe('UNKNOWN_NODE');
  });

  it('a planned stop reaches the peer on every link', async () => {
    const [a, b] = await pair();
    await until(() => a.status().peers[0]!.SecondaryHBStatus === 'UP' && a.status().peers[0]!.PrimaryHBStatus === 'UP');
    const stops = new Set<string>();
    a.on('peerMessage', (m) => {
      if (m.plannedStop) stops.add(m.link);
    });
    await b.sendPlannedStop();
    await until(() => stops.size === 2);
  });

  it('binding to an address this host does not have fails with a clear error', async () => {
    const links = new HeartbeatLinks({
      clusterName: 'lab',
      localNode: 'node1',
      secret,
      incarnation: newIncarnation(),
      local: { PRIMARY: '10.213.254.254' },
      peers: [{ node: 'node2', PRIMARY: '10.213.254.253' }],
      hbPort: port,
      hbIntervalMs: HB_INTERVAL,
      info: () => ({ state: 'INITING', configVersion: 1, rank: 0, groups: {} }),
    });
    await expect(links.start()).rejects.toThrow(/cannot bind the PRIMARY heartbeat link to 10\.213\.254\.254/);
    await links.close();
  });

  it('chooses udp4/udp6 by address family, IPv6 link-local with a zone included', () => {
    expect(addressFamily('10.213.0.1')).toBe('udp4');
    expect(addressFamily('fd00:213::1')).toBe('udp6');
    expect(addressFamily('fe80::1%eth0')).toBe('udp6');
    expect(() => addressFamily('node1.example')).toThrow(/not an IPv4 or IPv6/);
  });
});
