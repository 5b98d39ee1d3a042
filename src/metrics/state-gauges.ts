// Gauges read at scrape time from what the engine and the membership know
// now: node, link, group and resource states, configuration agreement.
// Enumerated states follow the Prometheus "state set" convention: one series
// per possible state, 1 for the current one, 0 for the others, so that a
// state change never makes a series disappear.
import { Gauge, type Registry } from 'prom-client';
import type { LinkStat, MembershipStatus } from '../cluster/membership.js';
import type { Engine } from '../engine/engine.js';
import { groupState } from '../engine/policy/group-state.js';

export const NODE_STATES = ['EXITED', 'INITING', 'LOCAL_BUILD', 'REMOTE_BUILD', 'RUNNING', 'FAULTED'] as const;
export const GROUP_STATES = ['ONLINE', 'OFFLINE', 'PARTIAL', 'STARTING', 'STOPPING', 'FAULTED'] as const;
export const RESOURCE_STATES = ['ONLINE', 'OFFLINE', 'STARTING', 'STOPPING', 'FAULTED', 'UNKNOWN'] as const;

/** What the cluster layer offers (every peer, however many; absent for StandAlone). */
export interface MembershipSource {
  linkStats(): LinkStat[];
  status(): MembershipStatus;
}

/** The witness of the cluster layer (WitnessType etcd), when configured. */
export interface WitnessSource {
  status(): unknown;
}

interface WitnessView {
  reachable: boolean;
  nodes: Array<{ node: string; reachable: boolean; lastRoundTripMs?: number | null }>;
  groups: Array<{ group: string; owner: string | null }>;
}

/** A configuration checksum per node, when the cluster layer publishes one. */
function checksumOf(x: unknown): string | undefined {
  const c = (x as { configChecksum?: unknown } | undefined)?.configChecksum;
  return typeof c === 'string' && c !== '' ? c : undefined;
}

export function registerStateGauges(registry: Registry, engine: Engine, membership?: MembershipSource, witness?: WitnessSource): void {
  const registers = [registry];

  new Gauge({
    name: 'mccs_node_state',
    help: 'State of each node as this engine sees it (1 for the current state).',
    labelNames: ['node', 'state'],
    registers,
    collect() {
      this.reset();
      for (const n of engine.config.Nodes) {
        const current = engine.observed.nodes[n.NodeName]?.state ?? 'EXITED';
        for (const s of NODE_STATES) this.set({ node: n.NodeName, state: s }, s === current ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'mccs_group_state',
    help: 'State of each group on each node of its NodeList (1 for the current state).',
    labelNames: ['group', 'node', 'state'],
    registers,
    collect() {
      this.reset();
      for (const g of engine.config.Groups) {
        for (const node of g.NodeList) {
          let current: string;
          try {
            current = groupState(engine.config, g, engine.observed, node);
          } catch {
            continue;
          }
          for (const s of GROUP_STATES) this.set({ group: g.GroupName, node, state: s }, s === current ? 1 : 0);
        }
      }
    },
  });

  new Gauge({
    name: 'mccs_group_frozen',
    help: '1 when the group is frozen (maintenance: watched, never acted on).',
    labelNames: ['group'],
    registers,
    collect() {
      this.reset();
      for (const g of engine.config.Groups) this.set({ group: g.GroupName }, g.Frozen === true ? 1 : 0);
    },
  });

  new Gauge({
    name: 'mccs_resource_state',
    help: 'State of each resource on each node of its group\'s NodeList (1 for the current state).',
    labelNames: ['group', 'resource', 'type', 'node', 'state'],
    registers,
    collect() {
      this.reset();
      for (const g of engine.config.Groups) {
        for (const r of g.Resources) {
          for (const node of g.NodeList) {
            const current = engine.status(node, r.ResName).state;
            for (const s of RESOURCE_STATES) this.set({ group: g.GroupName, resource: r.ResName, type: r.Type, node, state: s }, s === current ? 1 : 0);
          }
        }
      }
    },
  });

  new Gauge({
    name: 'mccs_config_version',
    help: 'ConfigVersion of main.json on each node, as this engine knows it (peers: from their heartbeats).',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      this.set({ node: engine.localNode }, engine.config.ConfigVersion);
      for (const p of membership?.status().peers ?? []) if (p.configVersion !== null) this.set({ node: p.node }, p.configVersion);
    },
  });

  new Gauge({
    name: 'mccs_config_agreement',
    help: '1 when every RUNNING peer reports the same configuration as this node (the checksum where nodes publish one, else ConfigVersion); 0 when they differ.',
    registers,
    collect() {
      const st = membership?.status();
      const running = (st?.peers ?? []).filter((p) => p.state === 'RUNNING' && p.configVersion !== null);
      const mine = checksumOf(st);
      const same = running.every((p) => {
        const theirs = checksumOf(p);
        return mine && theirs ? mine === theirs && p.configVersion === engine.config.ConfigVersion : p.configVersion === engine.config.ConfigVersion;
      });
      this.set(same ? 1 : 0);
    },
  });

  if (witness) registerWitnessGauges(registry, witness);
  if (!membership) return;

  new Gauge({
    name: 'mccs_heartbeat_link_up',
    help: 'Heartbeat link to each peer: 1 up, 0 down (links not configured are absent).',
    labelNames: ['peer', 'link'],
    registers,
    collect() {
      this.reset();
      for (const l of membership.linkStats()) if (l.status !== 'NONE') this.set({ peer: l.peer, link: l.link }, l.status === 'UP' ? 1 : 0);
    },
  });

  new Gauge({
    name: 'mccs_heartbeat_link_rtt_seconds',
    help: 'Round-trip time of the last ICMP answer from the peer\'s address on each heartbeat link.',
    labelNames: ['peer', 'link'],
    registers,
    collect() {
      this.reset();
      for (const l of membership.linkStats()) if (l.status !== 'NONE' && l.rttMs !== null) this.set({ peer: l.peer, link: l.link }, l.rttMs / 1000);
    },
  });

  new Gauge({
    name: 'mccs_heartbeat_link_loss_ratio',
    help: 'Share of heartbeats lost on each link over its last 100 sequence numbers (1 while the link is down).',
    labelNames: ['peer', 'link'],
    registers,
    collect() {
      this.reset();
      for (const l of membership.linkStats()) {
        if (l.status === 'NONE') continue;
        if (l.status === 'DOWN') this.set({ peer: l.peer, link: l.link }, 1);
        else if (l.lossRatio !== null) this.set({ peer: l.peer, link: l.link }, l.lossRatio);
      }
    },
  });

  new Gauge({
    name: 'mccs_jeopardy',
    help: '1 while only one heartbeat link to a peer is left.',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const p of membership.status().peers) this.set({ peer: p.node }, p.jeopardy ? 1 : 0);
    },
  });
}

function registerWitnessGauges(registry: Registry, witness: WitnessSource): void {
  const registers = [registry];
  const view = (): WitnessView | undefined => {
    const v = witness.status() as Partial<WitnessView> | undefined;
    return v && Array.isArray(v.nodes) && Array.isArray(v.groups) ? (v as WitnessView) : undefined;
  };
  new Gauge({
    name: 'mccs_witness_reachable',
    help: 'Witness (etcd) reachability: this node (from its own calls) and each peer (from its renewals seen there); 1 reachable.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const n of view()?.nodes ?? []) this.set({ node: n.node }, n.reachable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mccs_witness_round_trip_seconds',
    help: 'Round-trip time of this node\'s last call to the witness.',
    registers,
    collect() {
      this.reset();
      const mine = view()?.nodes.find((n) => typeof n.lastRoundTripMs === 'number');
      if (mine && typeof mine.lastRoundTripMs === 'number') this.set(mine.lastRoundTripMs / 1000);
    },
  });
  new Gauge({
    name: 'mccs_witness_group_owner',
    help: 'Owner of each failover group recorded at the witness (1 for the owning node).',
    labelNames: ['group', 'owner'],
    registers,
    collect() {
      this.reset();
      for (const g of view()?.groups ?? []) if (g.owner) this.set({ group: g.group, owner: g.owner }, 1);
    },
  });
}
