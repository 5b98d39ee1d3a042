// NIC and IP agents against the real tools (ip, arping, ndisc6, ping) in the
// test lab: each agent call runs inside a node's network namespace through
// NetnsRunner; the client namespace checks what the network sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/engine/agents/agent.js';
import { ipAgent } from '../../src/engine/agents/ip.js';
import { createNicAgent } from '../../src/engine/agents/nic.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { agentContract, makeTestContext } from '../helpers/agent-contract.js';
import { NetnsRunner } from '../helpers/netns-runner.js';
import { exec, waitFor } from '../lab/exec.js';
import { answers, clientNeighbour, createLab, destroyLab, linkDown, linkUp, mountNodeSysfs, type Lab, type NodeName } from '../lab/lab.js';

const root = process.getuid?.() === 0;
if (!root) console.log('agent-nic-ip.test: skipped: the lab needs root (network namespaces)');

let lab: Lab;

function ctxOn(node: NodeName, attrs: Record<string, unknown>, log?: string[]): AgentContext {
  const runner = new NetnsRunner(lab.nodes[node].ns, new ExecRunner((m) => log?.push(m)));
  return makeTestContext({ home: lab.dir, nodeName: node, attrs, runner, log });
}

const vip = (Address: string, extra: Record<string, unknown> = {}) => ({ NICResName: 'web-nic', Device: 'eth0', Address, ArpCount: 3, ...extra });

async function addressesOf(node: NodeName): Promise<string> {
  return (await exec('ip', ['-n', lab.nodes[node].ns, 'addr', 'show', 'dev', 'eth0'])).stdout;
}

/** The client's neighbour entry for addr, once it is mac (or what it is after 1 s). */
async function neighbourBecomes(addr: string, mac: string): Promise<string | null> {
  let last: string | null = null;
  for (let i = 0; i < 50; i++) {
    last = await clientNeighbour(lab, addr);
    if (last === mac) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  return last;
}

describe.skipIf(!root)('NIC and IP agents in the lab', () => {
  beforeAll(async () => {
    lab = await createLab({ id: 'agt' });
  });

  afterAll(async () => {
    if (lab) await destroyLab(lab);
  });

  agentContract('IP 10.213.0.100/24 on node1', () => ctxOn('node1', vip('10.213.0.100', { Prefix: 24 })), ipAgent, {
    afterOnline: async () => {
      expect(await addressesOf('node1')).toContain('10.213.0.100/24');
      expect(await answers(lab, '10.213.0.100')).toBe(true);
    },
    afterOnlineAgain: async () => {
      expect((await addressesOf('node1')).match(/10\.213\.0\.100\//g)).toHaveLength(1);
    },
    afterOffline: async () => {
      expect(await addressesOf('node1')).not.toContain('10.213.0.100');
    },
  });

  describe('IPv4 takeover', () => {
    it('refuses an address another node already answers for', async () => {
      await ipAgent.online(ctxOn('node2', vip('10.213.0.101')));
      await expect(ipAgent.online(ctxOn('node1', vip('10.213.0.101')))).rejects.toThrow(
        `address 10.213.0.101 is already answered by ${lab.nodes.node2.mac.primary}`,
      );
      expect(await addressesOf('node1')).not.toContain('10.213.0.101');
      await ipAgent.offline(ctxOn('node2', vip('10.213.0.101')));
    });

    it('gratuitous ARP moves the client to the new holder at once', async () => {
      const addr = '10.213.0.102';
      await ipAgent.online(ctxOn('node1', vip(addr)));
      expect(await answers(lab, addr)).toBe(true);
      expect(await clientNeighbour(lab, addr)).toBe(lab.nodes.node1.mac.primary);

      await ipAgent.offline(ctxOn('node1', vip(addr)));
      await ipAgent.online(ctxOn('node2', vip(addr)));
      // No traffic from the client in between: only the announcement (sent in the background) can tell it.
      expect(await neighbourBecomes(addr, lab.nodes.node2.mac.primary)).toBe(lab.nodes.node2.mac.primary);
      expect(await answers(lab, addr)).toBe(true);
      await ipAgent.offline(ctxOn('node2', vip(addr)));
    });

    it('takes the default prefix /24 and reports it', async () => {
      const log: string[] = [];
      await ipAgent.online(ctxOn('node1', vip('10.213.0.103'), log));
      expect(log.some((l) => l.includes('"addr" "add" "10.213.0.103/24" "dev" "eth0"'))).toBe(true);
      expect((await ipAgent.observe(ctxOn('node1', vip('10.213.0.103')))).reason).toBe('10.213.0.103/24 is on eth0');
      await ipAgent.clean(ctxOn('node1', vip('10.213.0.103')));
      await ipAgent.clean(ctxOn('node1', vip('10.213.0.103')));
      expect((await ipAgent.observe(ctxOn('node1', vip('10.213.0.103')))).state).toBe('stopped');
    });
  });

  describe('IPv6 takeover', () => {
    const addr = 'fd00:213::100';

    it('the address answers the client at once (nodad), with the default prefix /64', async () => {
      await ipAgent.online(ctxOn('node1', vip('FD00:213:0::100')));
      expect(await addressesOf('node1')).toContain(`${addr}/64`);
      expect(await answers(lab, addr)).toBe(true);
      expect((await ipAgent.observe(ctxOn('node1', vip(addr)))).state).toBe('running');
    });

    it('refuses it on node2 while node1 holds it', async () => {
      await expect(ipAgent.online(ctxOn('node2', vip(addr)))).rejects.toThrow(
        `address ${addr} is already answered by ${lab.nodes.node1.mac.primary}`,
      );
    });

    it('an unsolicited neighbour advertisement moves the client to node2', async () => {
      expect(await clientNeighbour(lab, addr)).toBe(lab.nodes.node1.mac.primary);
      await ipAgent.offline(ctxOn('node1', vip(addr)));
      await ipAgent.online(ctxOn('node2', vip(addr)));
      expect(await neighbourBecomes(addr, lab.nodes.node2.mac.primary)).toBe(lab.nodes.node2.mac.primary);
      expect(await answers(lab, addr)).toBe(true);
      await ipAgent.offline(ctxOn('node2', vip(addr)));
      expect((await ipAgent.observe(ctxOn('node2', vip(addr)))).state).toBe('stopped');
    });
  });

  describe('IP bad input and missing device', () => {
    it('fails clearly on a device that does not exist', async () => {
      expect(await ipAgent.observe(ctxOn('node1', vip('10.213.0.104', { Device: 'eth9' })))).toEqual({
        state: 'failed',
        reason: 'device eth9 does not exist',
      });
      await expect(ipAgent.online(ctxOn('node1', vip('10.213.0.104', { Device: 'eth9' })))).rejects.toThrow('device eth9 does not exist');
      await ipAgent.offline(ctxOn('node1', vip('10.213.0.104', { Device: 'eth9' })));
    });

    it('validates Address, Prefix and Device as data', async () => {
      await expect(ipAgent.online(ctxOn('node1', vip('10.213.0.999')))).rejects.toThrow("Address '10.213.0.999' is not an IPv4 or IPv6 address");
      await expect(ipAgent.online(ctxOn('node1', vip('10.213.0.104', { Prefix: 33 })))).rejects.toThrow('Prefix');
      await expect(ipAgent.online(ctxOn('node1', vip('10.213.0.104', { Device: '../x' })))).rejects.toThrow('not a network interface name');
      await expect(ipAgent.online(ctxOn('node1', { NICResName: 'web-nic', Address: '10.213.0.104' }))).rejects.toThrow(
        "attribute Device is not set (the engine resolves it from NIC resource 'web-nic')",
      );
    });
  });

  describe('NIC', () => {
    // The test process reads the node's /sys/class/net through a sysfs mounted from its namespace.
    let nic: ReturnType<typeof createNicAgent>;
    beforeAll(async () => {
      nic = createNicAgent({ sysClassNet: await mountNodeSysfs(lab, 'node1') });
    });
    const nicCtx = (attrs: Record<string, unknown>) => ctxOn('node1', { PingTimeout: 1, PingAddresses: '', ...attrs });

    it('is running while the link is up; online/offline/clean do nothing', async () => {
      expect(await nic.observe(nicCtx({ Device: 'eth0' }))).toEqual({ state: 'running', reason: 'eth0 link is up (operstate up, carrier)' });
      await nic.online(nicCtx({ Device: 'eth0' }));
      await nic.offline(nicCtx({ Device: 'eth0' }));
      await nic.clean(nicCtx({ Device: 'eth0' }));
      expect((await nic.observe(nicCtx({ Device: 'eth0' }))).state).toBe('running');
    });

    it('fails when the interface is set down', async () => {
      const ns = lab.nodes.node1.ns;
      await exec('ip', ['-n', ns, 'link', 'set', 'eth0', 'down']);
      try {
        expect(await nic.observe(nicCtx({ Device: 'eth0' }))).toEqual({ state: 'failed', reason: 'eth0 link is down (operstate down, administratively down)' });
      } finally {
        await exec('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
        // A link set down loses its IPv6 addresses.
        await exec('ip', ['-n', ns, 'addr', 'add', `${lab.nodes.node1.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      }
      await waitFor('eth0 up again', async () => (await nic.observe(nicCtx({ Device: 'eth0' }))).state === 'running', 5000, 20);
    });

    it('fails when the cable is pulled (no carrier)', async () => {
      await linkDown(lab, 'node1', 'secondary');
      try {
        expect(await nic.observe(nicCtx({ Device: 'eth1' }))).toEqual({ state: 'failed', reason: 'eth1 link is down (operstate down, no carrier)' });
      } finally {
        await linkUp(lab, 'node1', 'secondary');
      }
      await waitFor('eth1 carrier again', async () => (await nic.observe(nicCtx({ Device: 'eth1' }))).state === 'running', 5000, 20);
    });

    it('fails on a device that does not exist', async () => {
      expect(await nic.observe(nicCtx({ Device: 'eth9' }))).toEqual({ state: 'failed', reason: 'device eth9 does not exist' });
    });

    it('with PingAddresses, is up only if one of them answers', async () => {
      expect((await nic.observe(nicCtx({ Device: 'eth0', PingAddresses: '10.213.0.77, 10.213.0.254' }))).state).toBe('running');
      const down = await nic.observe(nicCtx({ Device: 'eth0', PingAddresses: '10.213.0.77,10.213.0.78', PingTimeout: 0.3 }));
      expect(down).toEqual({ state: 'failed', reason: 'eth0 link is up but none of 10.213.0.77, 10.213.0.78 answers a ping within 0.3 s' });
      expect((await nic.observe(nicCtx({ Device: 'eth0', PingAddresses: 'fd00:213::fe' }))).state).toBe('running');
      expect((await nic.observe(nicCtx({ Device: 'eth0', PingAddresses: 'gateway; reboot' }))).reason).toContain('is not an IP address');
    });
  });
});
