// node.add: a new node at the end of Nodes (lowest priority), by one
// configuration change on every RUNNING node through the one path
// (configChange → Engine.modifyConfig on the coordinating node). Its caller
// is the join (`mccs init --join … --primary-hb …` on the new node, checked
// by a one-time token in methods-join.ts); an Administrator may call it too.
// No group lists the new node yet: the operator adds it to the NodeLists
// that should use it.
//
// A name or heartbeat address already in use is CONFLICT (exit 5), unless the
// node exists with exactly this definition (then changed: false, so a join
// run twice is harmless). The whole configuration is validated as for every
// change (model/config.ts): more than two nodes need WitnessType etcd.
import { MccsError } from '../../model/errors.js';
import type { MainConfig, NodeConfig } from '../../model/types.js';
import { change } from '../methods.js';
import { configChange, str, type Spec } from './config-change.js';
import { checkDefinition, HB_ATTRIBUTES, type NodeDefinition } from './node-definition.js';

/** Fields compared when the node exists already: the join's own. */
const sameDefinition = (n: NodeConfig, def: NodeDefinition): boolean =>
  n.PrimaryHB === def.PrimaryHB && (n.SecondaryHB ?? '') === (def.SecondaryHB ?? '') && (def.IsolationTestAddresses === undefined || (n.IsolationTestAddresses ?? '') === def.IsolationTestAddresses);

/**
 * 'SAME' when the node exists with this definition; otherwise the conflict
 * (name taken with another definition, address of another node) as an
 * error, or 'NEW'. Pure.
 */
export function additionOf(config: MainConfig, def: NodeDefinition): 'SAME' | 'NEW' {
  const existing = config.Nodes.find((n) => n.NodeName === def.NodeName);
  if (existing) {
    if (sameDefinition(existing, def)) return 'SAME';
    const shown = (n: Partial<NodeDefinition>) => `PrimaryHB ${n.PrimaryHB ?? '(none)'}, SecondaryHB ${n.SecondaryHB || '(none)'}${def.IsolationTestAddresses !== undefined ? `, IsolationTestAddresses ${n.IsolationTestAddresses || '(none)'}` : ''}`;
    throw new MccsError('CONFLICT', `node ${def.NodeName} already exists with another definition (${shown(existing as Partial<NodeDefinition>)}; asked: ${shown(def)})`, [
      'choose another name for the new node',
      `or, if ${def.NodeName} is gone for good: mcnode remove ${def.NodeName} first`,
    ]);
  }
  for (const a of HB_ATTRIBUTES) {
    const v = def[a];
    if (v === undefined) continue;
    const other = config.Nodes.find((n) => HB_ATTRIBUTES.some((b) => n[b] === v));
    if (other) throw new MccsError('CONFLICT', `${a} ${v} is already the heartbeat address of node ${other.NodeName}`, ['give this node its own addresses (mcnode list shows every node\'s)']);
  }
  return 'NEW';
}

export function definitionFrom(p: Record<string, unknown>): NodeDefinition {
  const a = (p.attributes ?? {}) as Record<string, string>;
  return {
    NodeName: str(p, 'node'),
    PrimaryHB: a.PrimaryHB!,
    ...(a.SecondaryHB ? { SecondaryHB: a.SecondaryHB } : {}),
    ...(a.IsolationTestAddresses !== undefined ? { IsolationTestAddresses: a.IsolationTestAddresses } : {}),
  };
}

const address = { type: 'string', minLength: 1, maxLength: 256 };
export const nodeAttributesParam = {
  type: 'object',
  properties: { PrimaryHB: address, SecondaryHB: { type: 'string', maxLength: 256 }, IsolationTestAddresses: { type: 'string', maxLength: 4096 } },
  required: ['PrimaryHB'],
  additionalProperties: false,
};

export const nodeAdd: Spec = {
  readOnly: false,
  params: { attributes: nodeAttributesParam, ...change },
  required: ['node', 'attributes'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const def = definitionFrom(p);
    checkDefinition(def);
    if (additionOf(engine.config, def) === 'SAME') {
      return { changed: false, result: { node: def.NodeName, added: false, ConfigVersion: engine.config.ConfigVersion, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
    }
    return configChange(ctx, p, `node add ${def.NodeName}`, (c) => {
      c.Nodes.push({ ...def } as NodeConfig);
    }, p.dryRun === true ? { node: def.NodeName } : { node: def.NodeName, added: true });
  },
};
