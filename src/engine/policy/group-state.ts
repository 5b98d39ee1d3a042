// The state of a group on a node, derived from its resources' states (SPEC §2).
//
// Only enabled start/stop resources count; monitor-only resources (NIC,
// NoAction) are watched but never make a group PARTIAL. A group whose
// resources are all monitor-only takes its state from them.
//   STARTING / STOPPING  some resource is being started / stopped
//   ONLINE               every counted resource is ONLINE
//   PARTIAL              some, not all, are ONLINE
//   FAULTED              none is ONLINE and one is FAULTED
//   OFFLINE              none is ONLINE or FAULTED (UNKNOWN counts as offline)
import { isMonitorOnly, resourceFlag } from '../../model/resolve.js';
import type { GroupConfig, GroupState, MainConfig } from '../../model/types.js';
import { stateOf } from './context.js';
import type { Observed } from './types.js';

export function groupState(config: MainConfig, group: GroupConfig, observed: Observed, node: string): GroupState {
  const enabled = group.Resources.filter((r) => resourceFlag(config, r, 'Enabled'));
  const managed = enabled.filter((r) => !isMonitorOnly(config, r));
  const counted = managed.length > 0 ? managed : enabled;
  const states = counted.map((r) => stateOf(observed, node, r.ResName));
  if (states.includes('STARTING')) return 'STARTING';
  if (states.includes('STOPPING')) return 'STOPPING';
  const online = states.filter((s) => s === 'ONLINE').length;
  if (online > 0) return online === states.length ? 'ONLINE' : 'PARTIAL';
  return states.includes('FAULTED') ? 'FAULTED' : 'OFFLINE';
}

/** The group's state on every node of its NodeList. */
export function groupStates(config: MainConfig, group: GroupConfig, observed: Observed): Record<string, GroupState> {
  return Object.fromEntries(group.NodeList.map((n) => [n, groupState(config, group, observed, n)]));
}

/** Running there as far as an operator request is concerned. */
export const ONLINE_STATES: readonly GroupState[] = ['ONLINE', 'PARTIAL', 'STARTING'];
/** Anything running or moving there: what a takeover or AutoStart must respect. */
export const ACTIVE_STATES: readonly GroupState[] = ['ONLINE', 'PARTIAL', 'STARTING', 'STOPPING'];

/**
 * Nodes of the NodeList where the group is in one of `states`. A FAULTED node
 * is left out: what was observed there is stale and the node is dead (fenced).
 * An EXITED node counts: its engine stopped, its services may still run.
 */
export function nodesWhere(config: MainConfig, group: GroupConfig, observed: Observed, states: readonly GroupState[]): string[] {
  return group.NodeList.filter((n) => observed.nodes[n]?.state !== 'FAULTED' && states.includes(groupState(config, group, observed, n)));
}
