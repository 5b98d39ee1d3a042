// The test lab with more than two nodes (issue 16): five nodes that all
// hear each other on both networks, partitions that split them into sides
// hearing only themselves (the gateway, the client and the lab namespace's
// listeners stay on the first side), the heal, and a 16-node lab at the
// limit. Nothing is left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labLeftovers } from '../lab/cleanup.js';
import { etcdctl, etcdLeader, startEtcdCluster, startEtcdMember, stopEtcdCluster, stopEtcdMember } from '../lab/etcd.js';
import { exec, waitFor } from '../lab/exec.js';
import {
  CLIENT_ADDR, GATEWAY, answers, bootNode, bridgeOf, createLab, destroyLab, execInNode, execInNs, healPartition, isolate, labNamespaces,
  partition, reconnect, sideMates, type Lab, type NodeName,
} from '../lab/lab.js';

const root = process.getuid?.() === 0;
if (!root) console.log('lab-many-nodes.test: skipped: the lab needs root (network, PID and mount namespaces)');

const LAB_ID = 'labn';

async function pingFrom(ns: string, addr: string): Promise<boolean> {
  return (await execInNs(ns, 'ping', ['-n', '-q', '-c', '1', '-W', '1', addr])).exitCode === 0;
}

/** Who reaches whom, on one network: "node1>node2" for every pair that answers (all pairs probed at once). */
async function reachability(lab: Lab, net: 0 | 1 | 6): Promise<string[]> {
  const addr = (n: NodeName): string => (net === 6 ? lab.nodes[n].ipv6 : net === 0 ? lab.nodes[n].ipv4.primary : lab.nodes[n].ipv4.secondary);
  const pairs = lab.names.flatMap((a) => lab.names.filter((b) => b !== a).map((b) => [a, b] as const));
  const ok = await Promise.all(pairs.map(([a, b]) => pingFrom(lab.nodes[a].ns, addr(b))));
  return pairs.filter((_, i) => ok[i]).map(([a, b]) => `${a}>${b}`);
}

/** Every ordered pair within each side. */
function withinSides(sides: NodeName[][]): string[] {
  return sides.flatMap((s) => s.flatMap((a) => s.filter((b) => b !== a).map((b) => `${a}>${b}`))).sort();
}

describe.skipIf(!root)('the test lab with five nodes', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({ id: LAB_ID, nodes: 5 });
  }, 60_000);

  afterAll(async () => {
    if (lab) await destroyLab(lab);
  });

  it('names, namespaces, addresses and MACs: node1 and node2 as in the two-node lab, every one unique', () => {
    expect(lab.names).toEqual(['node1', 'node2', 'node3', 'node4', 'node5']);
    expect(lab.nodes.node1).toMatchObject({ ns: `mcl${LAB_ID}-n1`, ipv4: { primary: '10.213.0.1', secondary: '10.213.1.1' }, ipv6: 'fd00:213::1', mac: { primary: '02:13:00:00:00:01' } });
    expect(lab.nodes.node2).toMatchObject({ ns: `mcl${LAB_ID}-n2`, ipv4: { primary: '10.213.0.2', secondary: '10.213.1.2' }, ipv6: 'fd00:213::2', mac: { primary: '02:13:00:00:00:02' } });
    expect(lab.nodes.node5).toMatchObject({ ns: `mcl${LAB_ID}-n5`, ports: { primary: 'n5p', secondary: 'n5s' }, ipv4: { primary: '10.213.0.5', secondary: '10.213.1.5' } });
    const all = lab.names.map((n) => lab.nodes[n]);
    for (const key of ['ns', 'ipv6'] as const) expect(new Set(all.map((x) => x[key])).size).toBe(5);
    expect(new Set(all.flatMap((x) => [x.mac.primary, x.mac.secondary])).size).toBe(10);
    expect(labNamespaces(lab)).toHaveLength(7);
  });

  it('every node hears every other on both networks (IPv4 and IPv6) and the gateway; the client reaches every node', async () => {
    const everyone = withinSides([lab.names]);
    expect((await reachability(lab, 0)).sort()).toEqual(everyone);
    expect((await reachability(lab, 1)).sort()).toEqual(everyone);
    expect((await reachability(lab, 6)).sort()).toEqual(everyone);
    for (const n of lab.names) expect(await pingFrom(lab.nodes[n].ns, GATEWAY.ipv4), `${n} → gateway`).toBe(true);
    for (const n of lab.names) expect(await answers(lab, lab.nodes[n].ipv4.primary), `client → ${n}`).toBe(true);
  });

  it('3|2 partition: each side hears only itself on both networks; the gateway and the client are with the first side only', async () => {
    const sides: NodeName[][] = [['node1', 'node2', 'node3'], ['node4', 'node5']];
    await partition(lab, sides);
    expect(sideMates(lab, 'node4')).toEqual(['node4', 'node5']);
    expect(bridgeOf(lab, 'node5', 'secondary')).toBe('brs1');
    expect((await reachability(lab, 0)).sort()).toEqual(withinSides(sides));
    expect((await reachability(lab, 1)).sort()).toEqual(withinSides(sides));
    expect((await reachability(lab, 6)).sort()).toEqual(withinSides(sides));
    const targets = [GATEWAY.ipv4, GATEWAY.ipv4Secondary, GATEWAY.ipv6, CLIENT_ADDR.ipv4];
    const seen = await Promise.all(lab.names.map(async (n) => [n, await Promise.all(targets.map((a) => pingFrom(lab.nodes[n].ns, a)))] as const));
    for (const [n, ok] of seen) expect(ok, `${n} → gateway (both networks, IPv6), client`).toEqual(targets.map(() => sides[0]!.includes(n)));
    // A listener of the lab namespace (where the witness runs) is on the first side only.
    expect(await pingFrom(lab.labNs, '10.213.0.4')).toBe(false);
    expect(await pingFrom(lab.labNs, '10.213.0.1')).toBe(true);
  });

  it('reshaped to 1|1|3 without healing first, then healed: one network again', async () => {
    const sides: NodeName[][] = [['node3', 'node4', 'node5'], ['node1'], ['node2']];
    await partition(lab, sides);
    expect((await reachability(lab, 0)).sort()).toEqual(withinSides(sides));
    expect(await pingFrom(lab.nodes.node4.ns, GATEWAY.ipv4)).toBe(true);
    expect(await pingFrom(lab.nodes.node1.ns, GATEWAY.ipv4)).toBe(false);
    // The side bridges of the 3|2 split that are no longer used are gone; the two of this split exist.
    const bridges = (await exec('ip', ['-n', lab.labNs, '-o', 'link', 'show', 'type', 'bridge'])).stdout;
    for (const br of ['brp1', 'brs1', 'brp2', 'brs2']) expect(bridges).toContain(`${br}:`);
    await healPartition(lab);
    await healPartition(lab); // idempotent
    expect((await exec('ip', ['-n', lab.labNs, '-o', 'link', 'show', 'type', 'bridge'])).stdout).not.toMatch(/br[ps]\d/);
    await waitFor('one network again', async () => (await reachability(lab, 0)).length === 20, 10_000, 200);
    expect((await reachability(lab, 1)).sort()).toEqual(withinSides([lab.names]));
  });

  it('a partition keeps a link that is down down, and a node isolated within its side hears nobody', async () => {
    await partition(lab, [['node1', 'node2', 'node3'], ['node4', 'node5']]);
    await isolate(lab, 'node5');
    expect(await pingFrom(lab.nodes.node4.ns, '10.213.0.5')).toBe(false);
    await reconnect(lab, 'node5');
    await waitFor('node4 hears node5 again', () => pingFrom(lab.nodes.node4.ns, '10.213.0.5'), 5000, 100);
    expect(await pingFrom(lab.nodes.node4.ns, '10.213.0.1')).toBe(false);
    await healPartition(lab);
    await waitFor('node4 hears node1 again', () => pingFrom(lab.nodes.node4.ns, '10.213.0.1'), 5000, 100);
  });

  it('refuses a node on two sides or a node the lab does not have', async () => {
    await expect(partition(lab, [['node1', 'node2'], ['node2']])).rejects.toThrow(/node2 is on two sides/);
    await expect(partition(lab, [['node1'], ['node9' as NodeName]])).rejects.toThrow(/node9 is not a node/);
    expect(lab.sides).toBeUndefined();
  });

  it('a three-member etcd in the lab namespace: every node reaches every member; one member killed, the two left keep the quorum; a minority side reaches none', async () => {
    const etcd = await startEtcdCluster(lab);
    try {
      expect(etcd.witnessEndpoints).toBe('http://10.213.0.251:2379,http://10.213.0.252:2379,http://10.213.0.253:2379');
      const fromNode = (n: NodeName, args: string[], endpoints = etcd.endpoints) =>
        execInNs(lab.nodes[n].ns, 'etcdctl', ['--endpoints', endpoints.join(','), '--dial-timeout', '1s', '--command-timeout', '2s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
      expect((await fromNode('node5', ['put', '/lab/k', 'v1'])).exitCode).toBe(0);
      expect((await fromNode('node1', ['get', '--print-value-only', '/lab/k'], [etcd.endpoints[2]!])).stdout).toBe('v1');
      const leader = await etcdLeader(etcd);
      expect(leader).toMatch(/^etcd[123]$/);
      // The leader goes: the others elect one and keep serving writes.
      const gone = await stopEtcdMember(etcd, leader!);
      expect(gone.process).toBeUndefined();
      const left = etcd.members.filter((m) => m.name !== leader).map((m) => m.clientUrl);
      await waitFor('a write with one member of three down', async () => (await fromNode('node2', ['put', '/lab/k', 'v2'], left)).exitCode === 0, 15_000, 200);
      expect((await etcdctl(etcd, ['get', '--print-value-only', '/lab/k'], left)).stdout).toBe('v2');
      expect(await etcdLeader(etcd)).not.toBe(leader);
      await startEtcdMember(etcd, leader!);
      expect((await etcdctl(etcd, ['get', '--print-value-only', '/lab/k'], [gone.clientUrl])).stdout).toBe('v2');
      // The minority of a 3|2 split loses every member; the majority keeps them.
      await partition(lab, [['node1', 'node2', 'node3'], ['node4', 'node5']]);
      expect((await fromNode('node4', ['get', '/lab/k'])).exitCode).not.toBe(0);
      expect((await fromNode('node3', ['get', '--print-value-only', '/lab/k'])).stdout).toBe('v2');
      await healPartition(lab);
    } finally {
      await stopEtcdCluster(etcd);
    }
    expect(etcd.members.every((m) => m.process === undefined)).toBe(true);
    expect(lab.spawned.size).toBe(0);
  }, 90_000);

  it('booted nodes are hosts of their own (hostname node5)', async () => {
    await bootNode(lab, 'node5');
    expect((await execInNode(lab, 'node5', 'hostname')).stdout).toBe('node5');
  });

  it('destroyLab leaves nothing behind', async () => {
    await partition(lab, [['node1', 'node2', 'node3'], ['node4', 'node5']]);
    await destroyLab(lab);
    expect(await labLeftovers(LAB_ID)).toEqual([]);
    expect((await exec('ip', ['netns', 'list'])).stdout).not.toContain(`mcl${LAB_ID}-`);
  });
});

describe.skipIf(!root)('the test lab at sixteen nodes', () => {
  it('builds node1 … node16 (port names within IFNAMSIZ), node1 hears node16 on both networks, and goes away whole', async () => {
    const lab = await createLab({ id: 'labx', nodes: 16 });
    try {
      expect(lab.names).toHaveLength(16);
      expect(lab.nodes.node16).toMatchObject({ ns: 'mcllabx-n16', ports: { primary: 'n16p' }, ipv4: { primary: '10.213.0.16' }, ipv6: 'fd00:213::16', mac: { primary: '02:13:00:00:00:10' } });
      for (const addr of ['10.213.0.16', '10.213.1.16', 'fd00:213::16']) expect(await pingFrom(lab.nodes.node1.ns, addr), `node1 → ${addr}`).toBe(true);
      await expect(createLab({ id: 'laby', nodes: 17 })).rejects.toThrow(/1 to 16/);
    } finally {
      await destroyLab(lab);
    }
    expect(await labLeftovers('labx')).toEqual([]);
  }, 90_000);
});
