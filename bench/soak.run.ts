// The soak run of issue 8 (launched by bench/soak.mjs; not in CI). Two
// nodes in the lab, and for N minutes random faults at random moments:
// Process kills, engine SIGKILL and restart, flaps of one link and of both
// links of a node, concurrent configuration changes given on both nodes, and
// switches. Invariants checked all along, printed at the end:
//   1. at most one holder of the group's VIP at any moment while the links
//      are up (an `ip monitor address` in each node: exact add/delete times;
//      link faults and 5 s after them are excluded, as two nodes that do not
//      hear each other may both hold it until Heal without a witness),
//   2. both nodes hold the same configuration (version and checksum) within
//      2 s of quiescence,
//   3. every acknowledged configuration change is in main.json on both nodes
//      (the value of the highest acknowledged version of each attribute),
//   4. no resource FAULTED without a recorded cause (an event that made it so).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { ClusterLab, clusterConfig, GROUP, RES, VIP4 } from '../test/helpers/cluster-lab.js';
import { linkDown, linkUp, type LinkName, type NodeName } from '../test/lab/lab.js';
import type { EventRecord } from '../src/api/protocol.js';

const MINUTES = Number(process.env.MCCS_SOAK_MINUTES ?? '10');
const NODES: NodeName[] = ['node1', 'node2'];
const LINKS: LinkName[] = ['primary', 'secondary'];
const CONFIG_GROUPS = ['s0', 's1', 's2', 's3'];
const LINK_GRACE_MS = 5000;
const QUIESCE_AGREEMENT_MS = 2000;

// A small deterministic generator, so a run can be repeated with --seed.
let seed = Number(process.env.MCCS_SOAK_SEED ?? Date.now() % 100_000);
const firstSeed = seed;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Exact VIP holding per node from `ip monitor address` in each node namespace. */
class VipMonitor {
  private readonly procs: ChildProcess[] = [];
  private readonly holding = new Map<NodeName, number | undefined>();
  /** Closed intervals during which both nodes held the VIP. */
  readonly dual: { from: number; to: number }[] = [];
  private dualSince?: number;

  async start(cl: ClusterLab): Promise<void> {
    for (const n of NODES) this.holding.set(n, (await cl.vipHolders(VIP4)).includes(n) ? performance.now() : undefined);
    this.check();
    for (const n of NODES) {
      const p = spawn('ip', ['-n', cl.lab.nodes[n].ns, '-o', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
      this.procs.push(p);
      createInterface({ input: p.stdout! }).on('line', (line) => {
        if (!line.includes(` inet ${VIP4}/`)) return;
        this.holding.set(n, line.startsWith('Deleted') ? undefined : performance.now());
        this.check();
      });
    }
  }

  private check(): void {
    const both = NODES.every((n) => this.holding.get(n) !== undefined);
    const now = performance.now();
    if (both && this.dualSince === undefined) this.dualSince = now;
    if (!both && this.dualSince !== undefined) {
      this.dual.push({ from: this.dualSince, to: now });
      this.dualSince = undefined;
    }
  }

  stop(): void {
    this.check();
    if (this.dualSince !== undefined) this.dual.push({ from: this.dualSince, to: performance.now() });
    this.dualSince = undefined;
    for (const p of this.procs.splice(0)) p.kill('SIGTERM');
  }
}

describe('soak', () => {
  it(`random faults for ${MINUTES} minutes, invariants checked all along`, async () => {
    const cl = await ClusterLab.create('sok', clusterConfig({ restartLimit: 2 }));
    const vip = new VipMonitor();
    const faults: Record<string, number> = {};
    const violations: string[] = [];
    /** Windows (ms) in which the heartbeat links were disturbed, plus a grace period. */
    const linkWindows: { from: number; to: number }[] = [];
    /** Acknowledged changes: group → highest acknowledged version and its value. */
    const acknowledged = new Map<string, { version: number; value: number }>();
    let convergeMax = 0;
    let rounds = 0;
    const count = (kind: string) => (faults[kind] = (faults[kind] ?? 0) + 1);
    const say = (s: string) => process.stdout.write(`soak: ${s}\n`);
    try {
      await cl.startBoth('running');
      await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 30_000 });
      for (const g of CONFIG_GROUPS) await cl.call('node1', 'grp.add', { group: g, attributes: { AutoStart: 'false' } });
      await vip.start(cl);
      const end = performance.now() + MINUTES * 60_000;
      say(`seed ${firstSeed}, ${MINUTES} minutes`);

      const faultsOnce: Record<string, () => Promise<void>> = {
        'process kill': async () => {
          const holder = (await cl.vipHolders(VIP4))[0];
          if (!holder) return;
          for (const pid of await cl.echoPids(holder)) process.kill(pid, 'SIGKILL');
        },
        'engine SIGKILL and restart': async () => {
          const n = pick(NODES);
          await cl.killEngine(n);
          await sleep(between(500, 3000));
          await cl.startEngine(n, 'api', 30_000);
        },
        'one link flap': async () => {
          const n = pick(NODES);
          const l = pick(LINKS);
          const from = performance.now();
          await linkDown(cl.lab, n, l);
          await sleep(between(1000, 5000));
          await linkUp(cl.lab, n, l);
          linkWindows.push({ from, to: performance.now() + LINK_GRACE_MS });
        },
        'both links flap': async () => {
          const n = pick(NODES);
          const from = performance.now();
          await Promise.all(LINKS.map((l) => linkDown(cl.lab, n, l)));
          await sleep(between(1500, 4000));
          await Promise.all(LINKS.map((l) => linkUp(cl.lab, n, l)));
          linkWindows.push({ from, to: performance.now() + LINK_GRACE_MS });
        },
        'concurrent configuration changes': async () => {
          const answers = await Promise.all(
            Array.from({ length: 6 }, (_, i) => {
              const g = pick(CONFIG_GROUPS);
              const value = between(1, 100_000);
              return cl
                .rpc<{ ConfigVersion: number }>(NODES[i % 2]!, 'grp.modify', { group: g, attributes: { AutoFaultClearTime: String(value) } })
                .catch((e: Error) => ({ ok: false as const, error: { code: 'UNREACHABLE', message: e.message, actions: [] } }))
                .then((a) => ({ a, g, value }));
            }),
          );
          for (const { a, g, value } of answers) {
            if (!a.ok) continue; // refused (a node restarting): not acknowledged, nothing to keep
            const seen = acknowledged.get(g);
            if (!seen || a.result.ConfigVersion > seen.version) acknowledged.set(g, { version: a.result.ConfigVersion, value });
          }
        },
        switch: async () => {
          const from = pick(NODES);
          await cl.rpc(from, 'grp.switch', { group: GROUP, node: pick(NODES), wait: true, timeout: 60 });
        },
      };

      while (performance.now() < end) {
        rounds++;
        // One to three faults at random moments, overlapping.
        const kinds = Array.from({ length: between(1, 4) }, () => pick(Object.keys(faultsOnce)));
        await Promise.all(
          kinds.map(async (k) => {
            await sleep(between(0, 1500));
            count(k);
            await faultsOnce[k]!().catch((e: Error) => say(`${k}: ${e.message}`));
          }),
        );
        await quiesce();
      }
      vip.stop();
      await finalChecks();
    } finally {
      vip.stop();
      const linkDisturbed = (t: number) => linkWindows.some((w) => t >= w.from && t <= w.to);
      const dual = vip.dual.filter((d) => !linkDisturbed(d.from));
      const dualMs = dual.reduce((s, d) => s + (d.to - d.from), 0);
      if (dual.length > 0) violations.push(`VIP held by both nodes with the links up: ${dual.length} times, ${dualMs.toFixed(0)} ms in all (${Math.round(dualMs / 10)} samples of 10 ms)`);
      const injected = Object.values(faults).reduce((a, b) => a + b, 0);
      say('---------------------------------------------------------------');
      say(`minutes ${MINUTES}, seed ${firstSeed}, rounds ${rounds}, faults injected ${injected}`);
      for (const [k, v] of Object.entries(faults).sort()) say(`  ${k.padEnd(34)} ${v}`);
      say(`acknowledged configuration changes kept: ${acknowledged.size} groups checked`);
      say(`slowest configuration agreement after quiescence: ${convergeMax.toFixed(0)} ms (limit ${QUIESCE_AGREEMENT_MS} ms)`);
      say(`VIP dual holding with links up: ${dualMs.toFixed(0)} ms; during link faults (allowed until Heal): ${(vip.dual.reduce((s, d) => s + (d.to - d.from), 0) - dualMs).toFixed(0)} ms`);
      say(`invariant violations: ${violations.length}`);
      for (const v of violations) say(`  VIOLATION ${v}`);
      await cl.destroy();
    }
    expect(violations).toEqual([]);

    /** Links up, both engines up and RUNNING in both views; faults cleared; then the invariants of a quiet cluster. */
    async function quiesce(): Promise<void> {
      for (const n of NODES) for (const l of LINKS) await linkUp(cl.lab, n, l);
      for (const n of NODES) if (!cl.engineAlive(n)) await cl.startEngine(n, 'api', 30_000);
      try {
        await cl.waitBothRunning(60_000);
      } catch (e) {
        violations.push(`round ${rounds}: ${(e as Error).message}`);
        return;
      }
      const quietAt = performance.now();
      try {
        await cl.waitFor('the same configuration on both nodes', async () => {
          const [a, b] = await Promise.all(NODES.map((n) => cl.call<{ membership: { configVersion: number; configChecksum: string } }>(n, 'cluster.status')));
          return a!.membership.configVersion === b!.membership.configVersion && a!.membership.configChecksum === b!.membership.configChecksum;
        }, QUIESCE_AGREEMENT_MS, 50);
        convergeMax = Math.max(convergeMax, performance.now() - quietAt);
      } catch {
        violations.push(`round ${rounds}: configurations differ more than ${QUIESCE_AGREEMENT_MS} ms after quiescence`);
      }
      checkAcknowledged();
      await checkFaultCauses();
      // An operator clears faults and brings the group back where it is online nowhere.
      for (const n of NODES) await cl.rpc(n, 'grp.clear', { group: GROUP, node: n, wait: true, timeout: 30 });
      const states = await cl.groupStates('node1');
      if (!NODES.some((n) => states[n] === 'ONLINE' || states[n] === 'PARTIAL')) await cl.rpc('node1', 'grp.online', { group: GROUP, node: 'node1', wait: true, timeout: 60 });
    }

    function checkAcknowledged(): void {
      for (const n of NODES) {
        const config = cl.readConfig(n);
        for (const [g, { version, value }] of acknowledged) {
          const got = config.Groups.find((x) => x.GroupName === g)?.AutoFaultClearTime;
          // A later change of the same attribute may have been acknowledged by a reply that was lost: only what is older than the file is checked.
          if (config.ConfigVersion >= version && got !== value && !laterChangeOf(n, g, version)) violations.push(`round ${rounds}: ${n} main.json has ${g}.AutoFaultClearTime=${String(got)}, acknowledged ${value} at version ${version}`);
        }
      }
    }

    /** A change of the group committed after `version` (recorded in the event log), which may overwrite an acknowledged value. */
    function laterChangeOf(n: NodeName, g: string, version: number): boolean {
      return cl.events(n).some((e) => (e.rule === 'CONFIG_CHANGED' || e.rule === 'CONFIG_CHANGED_ALONE' || e.rule === 'CONFIG_ADOPTED') && Number(e.facts?.ConfigVersion) > version && String(e.message).includes(g));
    }

    async function checkFaultCauses(): Promise<void> {
      for (const n of NODES) {
        const rows = await cl.call<{ ResName: string; node: string; state: string }[]>(n, 'res.state', { node: n });
        const events: EventRecord[] = await cl.call<EventRecord[]>(n, 'cluster.events', {});
        for (const r of rows.filter((x) => x.state === 'FAULTED')) {
          const cause = events.some((e) => e.resource === r.ResName && e.newState === 'FAULTED' && (e.facts?.node === n || e.node === n));
          if (!cause) violations.push(`round ${rounds}: ${r.ResName} FAULTED on ${n} without an event recording why`);
        }
      }
    }

    async function finalChecks(): Promise<void> {
      await quiesce();
      const holders = await cl.vipHolders(VIP4);
      if (holders.length > 1) violations.push(`end: the VIP is held by ${holders.join(' and ')}`);
      void RES;
    }
  });
});
