// What differs between two configurations, in the operator's words: nodes,
// groups and resources are matched by name (not by position in their
// arrays), attributes compared by value. ConfigVersion is not a difference:
// the cluster assigns it. Pure: used by `mccs config diff` and `mccs apply`.
import type { GroupConfig, MainConfig } from './types.js';

export interface ConfigChange {
  op: 'add' | 'remove' | 'change';
  /** "cluster", "node node1", "group web", "resource web-ip" (of group web), "dependency web-ip → web-nic", "type Process". */
  what: string;
  /** Attribute name for op 'change'. */
  attribute?: string;
  before?: unknown;
  after?: unknown;
  group?: string;
  resource?: string;
}

const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** JSON with object keys sorted: key order in a file is not a difference. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

function attributes(what: string, before: Record<string, unknown>, after: Record<string, unknown>, skip: string[], extra: Partial<ConfigChange> = {}): ConfigChange[] {
  const out: ConfigChange[] = [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !skip.includes(k)).sort();
  for (const k of keys) {
    if (same(before[k], after[k])) continue;
    out.push({ op: 'change', what, attribute: k, ...(k in before ? { before: before[k] } : {}), ...(k in after ? { after: after[k] } : {}), ...extra });
  }
  return out;
}

function byName<T>(list: T[] | undefined, key: (x: T) => string): Map<string, T> {
  return new Map((list ?? []).map((x) => [key(x), x]));
}

export function diffConfigs(current: MainConfig, next: MainConfig): ConfigChange[] {
  const out: ConfigChange[] = [];
  out.push(...attributes('cluster', current.Cluster as Record<string, unknown>, next.Cluster as Record<string, unknown>, []));
  const curNodes = byName(current.Nodes, (n) => n.NodeName);
  const nextNodes = byName(next.Nodes, (n) => n.NodeName);
  for (const [name, n] of curNodes) {
    const m = nextNodes.get(name);
    if (!m) out.push({ op: 'remove', what: `node ${name}`, before: n });
    else out.push(...attributes(`node ${name}`, n as Record<string, unknown>, m as Record<string, unknown>, ['NodeName']));
  }
  for (const [name, n] of nextNodes) if (!curNodes.has(name)) out.push({ op: 'add', what: `node ${name}`, after: n });
  if (!same(current.Nodes.map((n) => n.NodeName), next.Nodes.map((n) => n.NodeName)) && [...curNodes.keys()].every((k) => nextNodes.has(k)) && curNodes.size === nextNodes.size) {
    out.push({ op: 'change', what: 'nodes', attribute: 'order (priority)', before: current.Nodes.map((n) => n.NodeName), after: next.Nodes.map((n) => n.NodeName) });
  }
  const curTypes = (current.Types ?? {}) as Record<string, Record<string, unknown>>;
  const nextTypes = (next.Types ?? {}) as Record<string, Record<string, unknown>>;
  for (const t of [...new Set([...Object.keys(curTypes), ...Object.keys(nextTypes)])].sort()) out.push(...attributes(`type ${t}`, curTypes[t] ?? {}, nextTypes[t] ?? {}, []));
  const curGroups = byName(current.Groups, (g) => g.GroupName);
  const nextGroups = byName(next.Groups, (g) => g.GroupName);
  for (const [name, g] of curGroups) {
    const h = nextGroups.get(name);
    if (!h) out.push({ op: 'remove', what: `group ${name}`, group: name, before: g });
    else out.push(...groupChanges(g, h));
  }
  for (const [name, g] of nextGroups) if (!curGroups.has(name)) out.push({ op: 'add', what: `group ${name}`, group: name, after: g });
  return out;
}

function groupChanges(g: GroupConfig, h: GroupConfig): ConfigChange[] {
  const name = g.GroupName;
  const out = attributes(`group ${name}`, g as Record<string, unknown>, h as Record<string, unknown>, ['GroupName', 'Resources', 'Dependencies'], { group: name });
  const cur = byName(g.Resources, (r) => r.ResName);
  const nxt = byName(h.Resources, (r) => r.ResName);
  for (const [r, res] of cur) {
    const s = nxt.get(r);
    if (!s) out.push({ op: 'remove', what: `resource ${r}`, group: name, resource: r, before: res });
    else out.push(...attributes(`resource ${r}`, res as Record<string, unknown>, s as Record<string, unknown>, ['ResName'], { group: name, resource: r }));
  }
  for (const [r, res] of nxt) if (!cur.has(r)) out.push({ op: 'add', what: `resource ${r}`, group: name, resource: r, after: res });
  const key = (d: { Parent: string; Child: string }) => `${d.Parent} → ${d.Child}`;
  const curDeps = byName(g.Dependencies ?? [], key);
  const nxtDeps = byName(h.Dependencies ?? [], key);
  for (const [k, d] of curDeps) {
    const e = nxtDeps.get(k);
    if (!e) out.push({ op: 'remove', what: `dependency ${k}`, group: name, before: d });
    else out.push(...attributes(`dependency ${k}`, d as unknown as Record<string, unknown>, e as unknown as Record<string, unknown>, ['Parent', 'Child'], { group: name }));
  }
  for (const [k, d] of nxtDeps) if (!curDeps.has(k)) out.push({ op: 'add', what: `dependency ${k}`, group: name, after: d });
  return out;
}
