// A check that every key of a main.json is a declared attribute — the part
// of validation that needs no schema, used as a fallback and by the tests.
import { agentFor } from '../engine/agents/catalog.js';
import {
  clusterAttributes,
  dependencyAttributes,
  groupAttributes,
  nodeAttributes,
  resourceAttributes,
  typeAttributes,
  type AttributeDeclaration,
} from '../model/attributes.js';
import type { MainConfig } from '../model/types.js';

export interface UndeclaredReport {
  /** JSON paths of keys that no declaration knows. */
  unknown: string[];
  /** Types that no agent in the catalog implements (yet). */
  unknownTypes: string[];
}

const names = (list: AttributeDeclaration[]): Set<string> => new Set(list.map((d) => d.name));

export function undeclaredAttributes(config: MainConfig): UndeclaredReport {
  const unknown: string[] = [];
  const unknownTypes = new Set<string>();
  const check = (obj: object, allowed: Set<string>, at: string): void => {
    for (const key of Object.keys(obj)) if (!allowed.has(key)) unknown.push(`${at}/${key}`);
  };
  check(config, new Set(['ConfigVersion', 'Cluster', 'Nodes', 'Types', 'Groups']), '');
  check(config.Cluster, names(clusterAttributes), '/Cluster');
  config.Nodes.forEach((n, i) => check(n, names(nodeAttributes), `/Nodes/${i}`));
  for (const [type, values] of Object.entries(config.Types ?? {})) {
    const agent = agentFor(type);
    if (!agent) unknownTypes.add(type);
    check(values, names([...typeAttributes, ...(agent?.attributes ?? [])]), `/Types/${type}`);
  }
  config.Groups.forEach((g, gi) => {
    check(g, new Set([...names(groupAttributes), 'Resources', 'Dependencies']), `/Groups/${gi}`);
    g.Resources.forEach((r, ri) => {
      const agent = agentFor(r.Type);
      if (!agent) {
        unknownTypes.add(r.Type);
        return;
      }
      check(r, names([...resourceAttributes, ...typeAttributes, ...agent.attributes]), `/Groups/${gi}/Resources/${ri}`);
    });
    (g.Dependencies ?? []).forEach((d, di) => check(d, names(dependencyAttributes), `/Groups/${gi}/Dependencies/${di}`));
  });
  return { unknown, unknownTypes: [...unknownTypes] };
}
