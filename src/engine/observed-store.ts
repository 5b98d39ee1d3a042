// The observed state of every resource on every node, as this engine knows
// it, and the event log entries that record each change of it. Every write
// of a resource state goes through setState, so the event log, the group
// state and the takeover generation follow each change in one place.
import type { EventRecord } from './event-record.js';
import type { EventLog } from './event-log.js';
import type { Logger } from './logger.js';
import { groupState } from './policy/group-state.js';
import type { GroupRuntime, Observed, Plan, ResourceStatus } from './policy/types.js';
import type { GroupConfig, MainConfig, NodeState } from '../model/types.js';

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The observed state as the rooms above the engine see it: they read it, engine methods change it. */
export type ObservedView = DeepReadonly<Observed>;

/** Why a state changed, for the event log (undefined: a silent change, e.g. the initial UNKNOWN). */
export interface StateChangeWhy {
  cause: string;
  rule: string;
  message: string;
  facts?: Record<string, unknown>;
}

/** What the store needs from the engine it belongs to. */
export interface ObservedStoreHost {
  readonly config: MainConfig;
  readonly localNode: string;
  readonly events: EventLog;
  readonly log: Logger;
  /** Every resource has been probed since start (a group adopted at start runs no batch program). */
  readonly probed: boolean;
  findGroup(name: string): GroupConfig;
  /** A local resource state changed (the cluster pushes it to the peer). */
  localStateChanged(): void;
  /** A local resource became FAULTED (AutoFaultClearTime starts). */
  localResourceFaulted(resource: string): void;
  /** A group came online here from offline (BatchAfterOnline). */
  groupOnlineHere(group: string): void;
}

export class ObservedStore {
  observed!: Observed;

  constructor(private readonly host: ObservedStoreHost) {}

  /** Every node EXITED but this one (INITING); no resource known yet. */
  reset(config: MainConfig, localNode: string): void {
    this.observed = {
      localNode,
      nodes: Object.fromEntries(config.Nodes.map((n) => [n.NodeName, { state: n.NodeName === localNode ? ('INITING' as const) : ('EXITED' as const) }])),
      resources: Object.fromEntries(config.Nodes.map((n) => [n.NodeName, {}])),
      groups: {},
    };
  }

  setNodeState(node: string, state: NodeState, now = performance.now()): void {
    const old = this.observed.nodes[node];
    this.observed.nodes[node] = { state, since: old?.state === state && old.since !== undefined ? old.since : now };
  }

  /** The resource states a node reported (the peer's, as it sent them). */
  replaceResources(node: string, resources: Record<string, ResourceStatus>): void {
    this.observed.resources[node] = resources;
  }

  /** Every resource of a node is OFFLINE for `reason` (what ran on a faulted node died with it). */
  markResourcesOffline(node: string, reason: string): void {
    const gone: Record<string, ResourceStatus> = {};
    for (const [r, st] of Object.entries(this.observed.resources[node] ?? {})) gone[r] = { ...st, state: 'OFFLINE', reason };
    this.observed.resources[node] = gone;
  }

  /** Deleted resources leave the observed state of every node. */
  forgetResources(names: string[]): void {
    for (const byNode of Object.values(this.observed.resources)) for (const r of names) delete byNode[r];
  }

  forgetGroup(group: string): void {
    delete this.observed.groups?.[group];
  }

  private groupRuntime(group: string): GroupRuntime {
    return ((this.observed.groups ??= {})[group] ??= {});
  }

  /** A temporary lock (runtime only, lost when every engine stops). */
  setTempLock(group: string, locked: boolean): void {
    const rt = this.groupRuntime(group);
    if (locked) rt.tempLocked = true;
    else delete rt.tempLocked;
  }

  /** A peer's takeover generations, as it last told us (SPEC §3 Heal); `peer` names it when there may be several. */
  setPeerGenerations(generations: Record<string, number>, peer?: string): void {
    for (const [g, gen] of Object.entries(generations)) {
      const rt = this.groupRuntime(g);
      rt.peerGeneration = gen;
      if (peer !== undefined) (rt.peerGenerations ??= {})[peer] = gen;
    }
  }

  status(node: string, res: string): ResourceStatus {
    return this.observed.resources[node]?.[res] ?? { state: 'UNKNOWN' };
  }

  setState(node: string, res: string, next: ResourceStatus, why: StateChangeWhy | undefined): void {
    const host = this.host;
    const byNode = (this.observed.resources[node] ??= {});
    const old = byNode[res];
    byNode[res] = { restartCount: old?.restartCount ?? 0, ...next };
    if (node === host.localNode) {
      host.localStateChanged();
      if (next.state === 'FAULTED' && old?.state !== 'FAULTED') host.localResourceFaulted(res);
    }
    if (!why) return;
    let group: string | undefined;
    for (const g of host.config.Groups) for (const r of g.Resources) if (r.ResName === res) group = g.GroupName;
    const groupBefore = group ? this.groupState(group, node, old ? { ...byNode, [res]: old } : undefined) : undefined;
    if (old?.state !== next.state || why.rule !== 'ONLINE_DONE') {
      this.record({ subject: `resource:${res}`, group, resource: res, oldState: old?.state, newState: next.state, cause: why.cause, rule: why.rule, message: why.message, facts: { ...why.facts, node, ...(next.reason ? { reason: next.reason } : {}) } });
    }
    if (group) {
      const groupAfter = this.groupState(group, node);
      if (groupAfter !== groupBefore) this.record({ subject: `group:${group}`, group, oldState: groupBefore, newState: groupAfter, cause: why.cause, rule: 'GROUP_STATE', message: `group ${group} is ${groupAfter} on ${node}` });
      if (node === host.localNode && groupAfter) this.trackGeneration(group, groupAfter);
    }
  }

  /**
   * The takeover generation (SPEC §3 Heal) rises each time the group comes
   * online here from offline, above what every peer last reported, so after a
   * partition the node that took the group over last keeps it.
   */
  private trackGeneration(group: string, state: string): void {
    // PARTIAL is passed through on every bottom-up online (children up, parents not yet): not a stable state either.
    if (state === 'STARTING' || state === 'STOPPING' || state === 'PARTIAL') return;
    const rt = ((this.observed.groups ??= {})[group] ??= {});
    if (state === 'ONLINE' && (rt.lastStable === undefined || rt.lastStable === 'OFFLINE' || rt.lastStable === 'FAULTED')) {
      rt.generation = Math.max(rt.generation ?? 0, rt.peerGeneration ?? 0, ...Object.values(rt.peerGenerations ?? {})) + 1;
      // Not when a restarted engine adopts a group that stayed online.
      if (this.host.probed) this.host.groupOnlineHere(group);
    }
    rt.lastStable = state;
  }

  /** The group's state on a node; undefined when the group is unknown (deleted meanwhile). */
  groupState(group: string, node: string, override?: Record<string, ResourceStatus>): string | undefined {
    try {
      const observed = override ? { ...this.observed, resources: { ...this.observed.resources, [node]: override } } : this.observed;
      return groupState(this.host.config, this.host.findGroup(group), observed, node);
    } catch {
      return undefined;
    }
  }

  record(e: Omit<EventRecord, 'time' | 'node'> & { node?: string }): void {
    const full = this.host.events.write(e);
    this.host.log.info(full.message, { event: full.rule, subject: full.subject, group: full.group, resource: full.resource, oldState: full.oldState, newState: full.newState, cause: full.cause });
  }

  recordPlan(plan: Plan, cause: string): void {
    const subject = 'group' in plan.event ? `group:${plan.event.group}` : 'resource' in plan.event ? `resource:${plan.event.resource}` : `node:${'node' in plan.event ? plan.event.node : this.host.localNode}`;
    this.record({
      subject,
      group: 'group' in plan.event ? plan.event.group : undefined,
      resource: 'resource' in plan.event ? plan.event.resource : undefined,
      cause,
      rule: plan.refused ? `REFUSED_${plan.refused.code}` : plan.decision.code,
      message: plan.refused ? plan.refused.message : plan.decision.message,
      facts: { event: plan.event, steps: plan.steps.map((s) => `${s.op} ${s.resource}@${s.node}`), ...(plan.failover ? { failover: plan.failover } : {}), ...(plan.failovers && plan.failovers.length > 1 ? { failovers: plan.failovers } : {}) },
    });
    // A group that a node-wide plan (takeover, AutoStart) leaves offline for want of room gets a record of its own: `mccluster events --group G` says why.
    const groups = plan.refused ? undefined : (plan.decision.facts.groups as Record<string, { code: string; message: string; facts?: Record<string, unknown> }> | undefined);
    for (const [group, d] of Object.entries(groups ?? {})) {
      if (d.code === 'NO_CAPACITY') this.record({ subject: `group:${group}`, group, cause, rule: 'NO_CAPACITY', message: d.message, facts: d.facts ?? {} });
    }
  }
}
