// The value of every attribute of a resource, as its agent and `-list` see it,
// by the one rule of model/resolve.ts: the resource's own value, else the
// type's shared value (Types), else the declared default.
import { resourceAttributes, typeAttributes, type AttributeDeclaration } from '../model/attributes.js';
import { resourceAttributeValue } from '../model/resolve.js';
import type { GroupConfig, MainConfig, ResourceConfig } from '../model/types.js';
import { agentFor } from './agents/catalog.js';

export function declarationsFor(type: string): AttributeDeclaration[] {
  return [...resourceAttributes, ...typeAttributes, ...(agentFor(type)?.attributes ?? [])];
}

/**
 * Memoized per resource object: a configuration change replaces the objects
 * (changes are made on a copy), so a cached value is never stale. Callers
 * must not mutate the result.
 */
const memo = new WeakMap<ResourceConfig, { config: MainConfig; withGroup: boolean; attrs: Record<string, unknown> }>();

export function resolveResourceAttributes(config: MainConfig, res: ResourceConfig, group?: GroupConfig): Record<string, unknown> {
  const hit = memo.get(res);
  if (hit && hit.config === config && (hit.withGroup || !group)) return hit.attrs;
  const attrs = resolveUncached(config, res, group);
  memo.set(res, { config, withGroup: group !== undefined, attrs });
  return attrs;
}

function resolveUncached(config: MainConfig, res: ResourceConfig, group?: GroupConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of declarationsFor(res.Type)) {
    const value = resourceAttributeValue(config, res, d.name, d);
    if (value !== undefined) out[d.name] = value;
  }
  // IP needs the device of the NIC resource it is bound to.
  if (typeof res.NICResName === 'string' && group) {
    const nic = group.Resources.find((r) => r.ResName === res.NICResName);
    if (nic && typeof nic.Device === 'string') out.Device ??= nic.Device;
  }
  return out;
}

/** Seconds → milliseconds for the timing attributes. */
export function timing(attrs: Record<string, unknown>, name: string, fallbackSeconds: number): number {
  const v = attrs[name];
  return Math.round((typeof v === 'number' ? v : fallbackSeconds) * 1000);
}
