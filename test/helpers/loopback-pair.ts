// Two real engines on this host (node1 on 127.0.0.1, node2 on 127.0.0.2),
// each with its own MCCS_HOME, sharing one cluster key: a two-node cluster
// without namespaces (no root needed). The group's application is a flag
// file in the node's own MCCS_HOME, so a test makes it fail on one node by
// removing that file.
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MainConfig } from '../../src/model/types.js';
import { generateSecret } from '../../src/cluster/crypto.js';
import { createHarness, makeHome, waitFor, type Harness } from './engine-harness.js';

export const PAIR_ADDRESS = { node1: '127.0.0.1', node2: '127.0.0.2' } as const;
export type PairNode = keyof typeof PAIR_ADDRESS;

export interface Pair {
  nodes: Record<PairNode, Harness>;
  config: MainConfig;
  /** Makes the application of `group` fail on that node (its monitor reports it gone). */
  breakApp(node: PairNode, group: string): void;
  groupState(node: PairNode, group: string, on: PairNode): Promise<string | undefined>;
  waitGroup(group: string, on: PairNode, state: string, timeoutMs?: number): Promise<void>;
  destroy(): Promise<void>;
}

/** An Application whose state is the flag file $MCCS_HOME/run/<group>.up of the node running it. */
export function flagApp(group: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const flag = `"$MCCS_HOME/run/${group}.up"`;
  return {
    ResName: `${group}-app`,
    Type: 'Application',
    StartProgram: ['/bin/sh', '-c', `touch ${flag}`],
    StopProgram: ['/bin/sh', '-c', `rm -f ${flag}`],
    MonitorProgram: ['/bin/sh', '-c', `test -f ${flag}`],
    Critical: true,
    RestartLimit: 0,
    MonitorInterval: 0.3,
    ...extra,
  };
}

export function pairConfig(opts: { hbPort: number; groups: string[]; cluster?: Record<string, unknown>; nodes?: Partial<Record<PairNode, Record<string, unknown>>> }): MainConfig {
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'pair', HBPort: opts.hbPort, HBInterval: 400, HBTimeout: 400, PingInterval: 100, ...opts.cluster },
    Nodes: (['node1', 'node2'] as const).map((n) => ({ NodeName: n, PrimaryHB: PAIR_ADDRESS[n], IsolationTestAddresses: PAIR_ADDRESS[n], ...opts.nodes?.[n] })),
    Groups: opts.groups.map((g) => ({ GroupName: g, GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], AutoStart: true, Resources: [flagApp(g)], Dependencies: [] })),
  } as MainConfig;
}

export async function startPair(config: MainConfig, env: Record<string, string> = {}): Promise<Pair> {
  const homes = { node1: makeHome('mccs-pair1-'), node2: makeHome('mccs-pair2-') };
  generateSecret(join(homes.node1, 'config/cluster.key'));
  copyFileSync(join(homes.node1, 'config/cluster.key'), join(homes.node2, 'config/cluster.key'));
  chmodSync(join(homes.node2, 'config/cluster.key'), 0o600);
  const nodes = {
    node1: createHarness({ node: 'node1', home: homes.node1, env }),
    node2: createHarness({ node: 'node2', home: homes.node2, env }),
  };
  for (const h of Object.values(nodes)) h.writeConfig(config);
  const pair: Pair = {
    nodes,
    config,
    breakApp(node, group) {
      const f = join(homes[node], 'run', `${group}.up`);
      if (existsSync(f)) unlinkSync(f);
    },
    async groupState(node, group, on) {
      const r = await nodes[node].rpc<{ GroupName: string; node: string; state: string }[]>('grp.state', { group });
      return r.ok ? r.result.find((x) => x.node === on)?.state : undefined;
    },
    async waitGroup(group, on, state, timeoutMs = 20_000) {
      await waitFor(`${group} ${state} on ${on}`, async () => (await pair.groupState('node1', group, on)) === state && (await pair.groupState('node2', group, on)) === state, timeoutMs);
    },
    async destroy() {
      for (const h of Object.values(nodes)) await h.cleanup();
      for (const home of Object.values(homes)) rmSync(home, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all([nodes.node1.start({ running: false }), nodes.node2.start({ running: false })]);
    await waitFor('both nodes RUNNING', async () => {
      for (const h of Object.values(nodes)) {
        const s = await h.rpc<{ nodes: { NodeName: string; state: string }[] }>('cluster.status');
        if (!s.ok || !s.result.nodes.every((n) => n.state === 'RUNNING')) return false;
      }
      return true;
    }, 30_000);
  } catch (e) {
    await pair.destroy();
    throw e;
  }
  return pair;
}

/** A home-made file the test writes into a node's home (e.g. a notify program). */
export function writeExecutable(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text, { mode: 0o755 });
}
