// A node's definition as a join gives it (name, heartbeat addresses,
// isolation test addresses) and its own checks, apart from any
// configuration: shared by node.add on the engine and by `mccs init --join`
// on the joining node, which refuses a bad value before it spends a token.
// Light on purpose (model only): mccs init loads it.
import { isIP } from 'node:net';
import { NAME_PATTERN } from '../../model/attributes.js';
import { MccsError } from '../../model/errors.js';

/** What a join defines of a node: its name, its heartbeat addresses, its isolation test addresses. */
export interface NodeDefinition {
  NodeName: string;
  PrimaryHB: string;
  SecondaryHB?: string;
  IsolationTestAddresses?: string;
}

export const HB_ATTRIBUTES = ['PrimaryHB', 'SecondaryHB'] as const;

/** An IP literal, IPv6 link-local with its %zone (as the heartbeat takes it). */
export function isAddress(value: string): boolean {
  const [ip, zone, extra] = value.split('%');
  return extra === undefined && isIP(ip ?? '') !== 0 && (zone === undefined || /^[A-Za-z0-9_.-]{1,15}$/.test(zone));
}

/** The definition's own errors (INVALID, exit 3), before the configuration is looked at. */
export function checkDefinition(def: NodeDefinition): void {
  if (!new RegExp(NAME_PATTERN).test(def.NodeName) || def.NodeName.length > 63) {
    throw new MccsError('INVALID', `'${def.NodeName}' is not a valid node name (letters, digits, _ . -; starting with a letter; at most 63)`);
  }
  for (const a of HB_ATTRIBUTES) {
    const v = def[a];
    if (v !== undefined && !isAddress(v)) throw new MccsError('INVALID', `${a} '${v}' of node ${def.NodeName} is not an IP address (IPv4, or IPv6 with %interface for a link-local one)`);
  }
  if (def.SecondaryHB !== undefined && def.SecondaryHB === def.PrimaryHB) throw new MccsError('INVALID', `SecondaryHB of node ${def.NodeName} is its PrimaryHB (${def.PrimaryHB}): the second link must be another network`);
  for (const a of (def.IsolationTestAddresses ?? '').split(',').filter((x) => x !== '')) {
    if (!isAddress(a)) throw new MccsError('INVALID', `IsolationTestAddresses of node ${def.NodeName}: '${a}' is not an IP address`);
  }
}
