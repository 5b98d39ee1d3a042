// The value of a common attribute as the policy sees it: the resource's own
// value, else the type's shared value (`Types`), else the declared default.
// (Type-specific attributes of agents are resolved by the engine, which knows
// the agents; the policy only needs the common ones.)
import { findDeclaration, groupAttributes, resourceAttributes, typeAttributes, type AttributeDeclaration } from './attributes.js';
import { resourceType } from './resource-types.js';
import type { GroupConfig, MainConfig, ResourceConfig } from './types.js';

/**
 * The one resolution rule of a resource attribute: the resource's own value,
 * else the type's shared value (`Types`), else the declaration's default.
 * The engine resolves every attribute of an agent by it too
 * (engine/resolve-attributes.ts).
 */
export function resourceAttributeValue(config: MainConfig, res: ResourceConfig, name: string, declaration?: AttributeDeclaration): unknown {
  return res[name] ?? config.Types?.[res.Type]?.[name] ?? declaration?.default;
}

export function resolveCommonAttribute(config: MainConfig, res: ResourceConfig, name: string): unknown {
  return resourceAttributeValue(config, res, name, findDeclaration(resourceAttributes, name) ?? findDeclaration(typeAttributes, name));
}

export function groupAttribute(group: GroupConfig, name: string): unknown {
  const own = group[name];
  if (own !== undefined) return own;
  return findDeclaration(groupAttributes, name)?.default;
}

export function resourceFlag(config: MainConfig, res: ResourceConfig, name: string): boolean {
  return resolveCommonAttribute(config, res, name) === true;
}

export function resourceNumber(config: MainConfig, res: ResourceConfig, name: string): number {
  const v = resolveCommonAttribute(config, res, name);
  return typeof v === 'number' ? v : 0;
}

export function groupFlag(group: GroupConfig, name: string): boolean {
  return groupAttribute(group, name) === true;
}

/**
 * Monitor-only: a resource of a Type its agent declares monitor-only (NIC,
 * SPEC §5), or any resource with NoAction=true. Watched, never started or
 * stopped. Throws when no Type is declared (the process did not load the
 * agent catalog): a plan made without the declarations would start a NIC.
 */
export function isMonitorOnly(config: MainConfig, res: ResourceConfig): boolean {
  return resourceType(res.Type)?.monitorOnly === true || resourceFlag(config, res, 'NoAction');
}
