// node.remove (mcnode remove NODE, mcnode -remove -n NODE): takes a node out
// of Nodes by one configuration change on every RUNNING node, through the one
// path (configChange → Engine.modifyConfig on the coordinating node). The
// running engines then drop it from their heartbeat mesh without a restart.
//
// A node is removed only when nothing depends on it any more (each refusal is
// CONFLICT, exit 5, naming what holds it):
//   - a group names it in its NodeList or AutoStartNode (edit them first);
//   - a group is online, partial, starting or stopping there (an EXITED
//     node's services may still run; a FAULTED node's states are stale and
//     do not count: it is dead);
//   - its engine is up (RUNNING or joining): stop it first, or --force;
//   - it is the node whose engine carries out the change (the one the
//     command ended up on): never, not even with --force.
// Removing a node that is not in Nodes is "already so" (changed: false).
import { JOINING_STATES } from '../../engine/policy/context.js';
import { ACTIVE_STATES, groupState } from '../../engine/policy/group-state.js';
import type { ObservedView } from '../../engine/observed-store.js';
import { MccsError } from '../../model/errors.js';
import type { MainConfig, NodeState } from '../../model/types.js';
import { change } from '../methods.js';
import { configChange, str, type Spec } from './config-change.js';

/** Node states in which the node's engine runs (it would keep heartbeating a cluster that dropped it). */
const ENGINE_UP: readonly NodeState[] = ['RUNNING', ...JOINING_STATES];

export interface RemovalBlocker {
  /** What holds the node: a group's NodeList or AutoStartNode, a group active there, its running engine, or the node running the change. */
  kind: 'NODELIST' | 'AUTOSTARTNODE' | 'ACTIVE' | 'ENGINE_UP' | 'SELF';
  message: string;
  action: string;
}

/**
 * Everything that keeps `node` in the cluster, in the order an operator
 * clears it. `self` is the node whose engine would carry out the removal;
 * `force` lifts ENGINE_UP only. Pure: configuration and observed state in.
 */
export function removalBlockers(config: MainConfig, observed: ObservedView, node: string, self: string, force = false): RemovalBlocker[] {
  const out: RemovalBlocker[] = [];
  for (const g of config.Groups) {
    if (g.NodeList.includes(node)) {
      const rest = g.NodeList.filter((n) => n !== node);
      out.push({
        kind: 'NODELIST',
        message: `group ${g.GroupName} lists ${node} in its NodeList (${g.NodeList.join(',')})`,
        action: rest.length > 0 ? `mcgrp modify ${g.GroupName} NodeList=${rest.join(',')}${g.AutoStartNode === node ? ' AutoStartNode=' : ''}` : `mcgrp delete ${g.GroupName} (its only node is ${node})`,
      });
    } else if (g.AutoStartNode === node) {
      out.push({ kind: 'AUTOSTARTNODE', message: `group ${g.GroupName} has AutoStartNode ${node}`, action: `mcgrp modify ${g.GroupName} AutoStartNode=` });
    }
  }
  const state = observed.nodes[node]?.state;
  if (state !== 'FAULTED') {
    for (const g of config.Groups) {
      const s = groupState(config, g, observed, node);
      if (ACTIVE_STATES.includes(s)) out.push({ kind: 'ACTIVE', message: `group ${g.GroupName} is ${s} on ${node}`, action: `mcgrp switch ${g.GroupName} --node OTHER --wait (or mcnode evacuate ${node} --wait, or mcgrp offline ${g.GroupName} --node ${node})` });
    }
  }
  if (node === self) {
    out.push({ kind: 'SELF', message: `${node} is the node carrying out this change (its engine orders the configuration now): a node cannot remove itself`, action: `stop the engine of ${node} (systemctl stop mccs there), then run mcnode remove ${node} on another node` });
  } else if (!force && state !== undefined && ENGINE_UP.includes(state)) {
    out.push({ kind: 'ENGINE_UP', message: `the engine of ${node} is ${state}: it would keep running in a cluster that no longer lists it`, action: `stop it first: systemctl stop mccs on ${node} (services there keep running: move them first), or add --force` });
  }
  return out;
}

export const nodeRemove: Spec = {
  readOnly: false,
  params: { ...change },
  required: ['node'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const node = str(p, 'node');
    if (!engine.config.Nodes.some((n) => n.NodeName === node)) {
      // Already so: nothing to remove.
      return { changed: false, result: { node, removed: false, ConfigVersion: engine.config.ConfigVersion, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
    }
    const blockers = removalBlockers(engine.config, engine.observed, node, engine.localNode, p.force === true);
    if (blockers.length > 0) {
      throw new MccsError('CONFLICT', `node ${node} cannot be removed:\n  ${blockers.map((b) => b.message).join('\n  ')}`, blockers.map((b) => b.action), { blockers: blockers.map((b) => ({ kind: b.kind, message: b.message })) });
    }
    return configChange(ctx, p, `node remove ${node}`, (c) => {
      c.Nodes = c.Nodes.filter((n) => n.NodeName !== node);
    }, p.dryRun === true ? { node } : { node, removed: true });
  },
};
