// What an event is about: its group (or, for node events, the groups that
// list the node), resource and node, all checked to exist. Unknown names are
// NOT_FOUND. A node outside the group's NodeList is INVALID (exit 3) for
// anything but an offline: no state change could make the request valid,
// only a configuration change.
import type { GroupConfig, MainConfig, ResourceConfig } from '../../model/types.js';
import { decide } from './codes.js';
import { refused, type Outcome } from './outcome.js';
import type { PolicyEvent } from './types.js';

export type Subject =
  | { kind: 'group'; group: GroupConfig; resource?: ResourceConfig; node: string }
  | { kind: 'node'; groups: GroupConfig[]; node: string };

/** Events about a node as a whole: each group that lists the node is looked at. */
export const NODE_EVENTS: readonly PolicyEvent['kind'][] = ['NodeFaulted', 'ProbeComplete', 'PeerStateReceived', 'NodeIsolated', 'NodeEvacuate'];

/**
 * Facts of a resource on the node that watches it (every node watches every
 * resource of the configuration): valid whatever the group's NodeList.
 */
const WATCH_EVENTS: readonly PolicyEvent['kind'][] = ['OnlineAttemptFailed', 'MonitorTimedOut', 'MonitorConfirmed', 'ResourceRecovered', 'FaultTimer'];

/** Stopping is valid on any node: a group found running outside its NodeList (heal, a NodeList change) is taken offline there. */
const STOP_EVENTS: readonly PolicyEvent['kind'][] = ['GroupOffline', 'ResourceOffline'];

export function subjectOf(config: MainConfig, event: PolicyEvent): Subject | Outcome {
  const node = event.node;
  if (!config.Nodes.some((n) => n.NodeName === node)) {
    return refused('NOT_FOUND', decide('NOT_FOUND', `no node named '${node}'`, { node }));
  }
  if (NODE_EVENTS.includes(event.kind)) {
    // Heal and isolation also look at groups running here outside their NodeList: those are given up.
    const all = event.kind === 'PeerStateReceived' || event.kind === 'NodeIsolated';
    const only = event.kind === 'ProbeComplete' ? event.groups : undefined;
    return { kind: 'node', groups: all ? config.Groups : config.Groups.filter((g) => g.NodeList.includes(node) && (!only || only.includes(g.GroupName))), node };
  }

  let group: GroupConfig | undefined;
  let resource: ResourceConfig | undefined;
  if ('resource' in event) {
    group = config.Groups.find((g) => g.Resources.some((r) => r.ResName === event.resource));
    resource = group?.Resources.find((r) => r.ResName === event.resource);
    if (!group || !resource) return refused('NOT_FOUND', decide('NOT_FOUND', `no resource named '${event.resource}'`, { resource: event.resource }));
  } else if ('group' in event) {
    const name = event.group;
    group = config.Groups.find((g) => g.GroupName === name);
    if (!group) return refused('NOT_FOUND', decide('NOT_FOUND', `no group named '${name}'`, { group: name }));
  } else {
    throw new Error(`${event.kind}: neither a node, a group nor a resource event`);
  }
  if (!group.NodeList.includes(node) && !WATCH_EVENTS.includes(event.kind) && !STOP_EVENTS.includes(event.kind)) {
    return refused('INVALID', decide('NOT_IN_NODELIST', `node ${node} is not in the NodeList of group ${group.GroupName} (${group.NodeList.join(', ')})`, { group: group.GroupName, node, nodeList: group.NodeList }));
  }
  return resource ? { kind: 'group', group, resource, node } : { kind: 'group', group, node };
}
