// Starting alone (SPEC §3): a node that hears no peer waits (StartAloneTimeout
// 0 = forever) while the peer's host answers ICMP; an operator can force it
// to start alone, and that is logged. On 127.0.0.x: the peer's address
// answers ICMP (loopback), its engine never runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { generateSecret } from '../../src/cluster/crypto.js';
import type { MainConfig } from '../../src/model/types.js';
import { createHarness, pidsWithArg, ROOT, waitFor, type Harness } from '../helpers/engine-harness.js';

describe('a node whose peer never comes', () => {
  let h: Harness;
  const nodeState = async () => {
    const r = await h.rpc<{ nodes: { NodeName: string; state: string }[]; warnings: string[] }>('cluster.status');
    if (!r.ok) throw new Error(r.error.message);
    return { state: r.result.nodes.find((n) => n.NodeName === 'node1')!.state, warnings: r.result.warnings };
  };

  beforeAll(async () => {
    h = createHarness({ node: 'node1' });
    const config: MainConfig = {
      ConfigVersion: 1,
      Cluster: { ClusterName: 'alone', HBPort: 27321 },
      Nodes: [
        { NodeName: 'node1', PrimaryHB: '127.0.0.51', SecondaryHB: '127.0.0.52', IsolationTestAddresses: '127.0.0.1' },
        { NodeName: 'node2', PrimaryHB: '127.0.0.61', SecondaryHB: '127.0.0.62', IsolationTestAddresses: '127.0.0.1' },
      ],
      Types: { Process: { MonitorInterval: 0.5 } },
      Groups: [
        {
          GroupName: 'web',
          GroupType: 'FAILOVER',
          NodeList: ['node1', 'node2'],
          Resources: [{ ResName: 'app', Type: 'Process', Path: process.execPath, Arguments: [join(ROOT, 'test/fixtures/service.mjs'), `${h.home}/app`], Critical: true }],
        },
      ],
    };
    h.writeConfig(config);
    generateSecret(join(h.home, 'config/cluster.key'));
    await h.start({ running: false });
  });

  afterAll(async () => {
    await h.cleanup();
  });

  it('waits, says what it waits for, and starts nothing', async () => {
    await new Promise((r) => setTimeout(r, 2500));
    const s = await nodeState();
    expect(s.state).toBe('INITING');
    expect(s.warnings.join('\n')).toMatch(/WAITING/);
    expect(pidsWithArg(`${h.home}/app`)).toHaveLength(0);
  });

  it('mcgrp online --force starts it alone: logged, then the group comes online', async () => {
    const r = await h.rpc('grp.online', { group: 'web', force: true, wait: true, timeout: 30 });
    expect(r.ok).toBe(true);
    await waitFor('node1 RUNNING', async () => (await nodeState()).state === 'RUNNING');
    expect(pidsWithArg(`${h.home}/app`)).toHaveLength(1);
    expect(h.events().some((e) => e.rule === 'START_ALONE_FORCED')).toBe(true);
  });
});

describe('cluster timing changes at run time', () => {
  it('HBInterval and HBTimeout apply at once; HBPort waits for a restart and status says so', async () => {
    const h = createHarness({ node: 'node1' });
    try {
      h.writeConfig({
        ConfigVersion: 1,
        Cluster: { ClusterName: 'timing', HBPort: 27331 },
        Nodes: [
          { NodeName: 'node1', PrimaryHB: '127.0.0.71', IsolationTestAddresses: '127.0.0.1' },
          { NodeName: 'node2', PrimaryHB: '127.0.0.81', IsolationTestAddresses: '127.0.0.1' },
        ],
        Groups: [],
      });
      generateSecret(join(h.home, 'config/cluster.key'));
      await h.start({ running: false });
      const membership = async () => {
        const r = await h.rpc<{ membership: { hbIntervalMs: number; hbTimeoutMs: number; hbPort: number }; warnings: string[] }>('cluster.status');
        if (!r.ok) throw new Error(r.error.message);
        return r.result;
      };
      expect((await membership()).membership).toMatchObject({ hbIntervalMs: 1000, hbTimeoutMs: 1000 });
      expect(await h.rpc('cluster.modify', { attributes: { HBInterval: '400', HBTimeout: '600' } })).toMatchObject({ ok: true, changed: true });
      const after = await membership();
      expect(after.membership).toMatchObject({ hbIntervalMs: 400, hbTimeoutMs: 600, hbPort: 27331 });
      expect(after.warnings.join('\n')).not.toMatch(/RESTART_NEEDED/);
      expect(await h.rpc('cluster.modify', { attributes: { HBPort: '27341' } })).toMatchObject({ ok: true, changed: true });
      const later = await membership();
      expect(later.membership.hbPort).toBe(27331);
      expect(later.warnings.join('\n')).toMatch(/RESTART_NEEDED: HBPort changed/);
      expect(h.events().some((e) => e.rule === 'RESTART_NEEDED')).toBe(true);
    } finally {
      await h.cleanup();
    }
  });
});
