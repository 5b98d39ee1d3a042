// AutoRestart: a NIC failure takes the group offline; when the link comes
// back the group comes back by itself (with AutoRestart) — in a network
// namespace of the test's own, on a veth pair.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { createHarness, pidsWithArg, ROOT, waitFor, type Harness } from '../helpers/engine-harness.js';

const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT) console.log('engine-autorestart: skipped: needs root (network namespace)');
const NS = `mccs-ar-${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', ['netns', 'exec', NS, 'ip', ...args]);

describe.skipIf(!IS_ROOT)('AutoRestart after a NIC recovers', () => {
  let h: Harness;
  const groupState = async () => {
    const r = await h.rpc<{ state: string }[]>('grp.state', { group: 'web' });
    return r.ok ? r.result[0]!.state : undefined;
  };

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    // A veth pair: d0 is the node's NIC, d1 its cable (down = pulled).
    ip('link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
    ip('link', 'set', 'd0', 'up');
    ip('link', 'set', 'd1', 'up');
    h = createHarness({ node: 'n1', netns: NS });
    const config: MainConfig = {
      ConfigVersion: 1,
      Cluster: { ClusterName: 'solo' },
      Nodes: [{ NodeName: 'n1' }],
      Types: { NIC: { MonitorInterval: 0.2 }, Process: { MonitorInterval: 0.5 } },
      Groups: [
        {
          GroupName: 'web',
          GroupType: 'FAILOVER',
          NodeList: ['n1'],
          AutoRestart: true,
          Resources: [
            { ResName: 'nic', Type: 'NIC', Device: 'd0', Critical: true },
            { ResName: 'app', Type: 'Process', Path: process.execPath, Arguments: [join(ROOT, 'test/fixtures/service.mjs'), `${h.home}/app`], Critical: true },
          ],
          Dependencies: [{ Parent: 'app', Child: 'nic' }],
        },
      ],
    };
    h.writeConfig(config);
    await h.start();
  });

  afterAll(async () => {
    await h?.cleanup();
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  });

  it('link down: the group goes offline; link up: it comes back online by itself', async () => {
    await waitFor('group online', async () => (await groupState()) === 'ONLINE');
    const first = pidsWithArg(`${h.home}/app`);
    expect(first).toHaveLength(1);
    ip('link', 'set', 'd1', 'down');
    await waitFor('app stopped after the NIC failed', async () => pidsWithArg(`${h.home}/app`).length === 0 && (await groupState()) !== 'ONLINE');
    ip('link', 'set', 'd1', 'up');
    await waitFor('group back online', async () => (await groupState()) === 'ONLINE', 15_000);
    expect(pidsWithArg(`${h.home}/app`)).toHaveLength(1);
    expect(h.events().some((e) => e.cause === 'AutoRestart: nic recovered')).toBe(true);
  });
});
