// `mccs apply -f FILE`: what applying a whole main.json does to running
// groups, decided from the configurations and the observed state only
// (pure). Stops and moves that the current configuration can express run
// before the change (a group leaving a node of its NodeList is switched while
// both nodes still know it); starts of new groups run after it. Moves and
// starts go only where the group has room for its Load (capacity.ts),
// counting the ones decided before them.
import { canonical, diffConfigs, type ConfigChange } from '../../model/config-diff.js';
import type { GroupConfig, MainConfig } from '../../model/types.js';
import type { ApplyCode } from './codes.js';
import { capacityOf, loadOf, loadOn } from './capacity.js';
import { groupState } from './group-state.js';
import type { Observed } from './types.js';


export interface ApplyAction {
  op: 'stop' | 'stop-resource' | 'move' | 'start';
  when: 'before' | 'after';
  group: string;
  resource?: string;
  /** Where it stops, or where it starts / moves to. */
  node: string;
  from?: string;
  code: ApplyCode;
  message: string;
}

export interface ApplyPlan {
  changes: ConfigChange[];
  actions: ApplyAction[];
}

const ACTIVE = new Set(['ONLINE', 'PARTIAL', 'STARTING']);

/** Errors are not caught: without the agents' Type declarations (catalog not loaded) the state would be wrong, and it throws, naming the import. */
function activeOn(config: MainConfig, g: GroupConfig, observed: Observed): string[] {
  return g.NodeList.filter((n) => ACTIVE.has(groupState(config, g, observed, n)));
}

const running = (observed: Observed, n: string) => observed.nodes[n]?.state === 'RUNNING';

/** Load/Capacity (capacity.ts) over the moves and starts this apply decides, each counting those before it. */
function placedLoad(observed: Observed) {
  const added: Record<string, number> = {};
  return {
    fits(config: MainConfig, g: GroupConfig, node: string): boolean {
      const load = loadOf(g);
      const capacity = capacityOf(config, node);
      if (load === 0 || capacity === undefined) return true;
      const used = Object.values(loadOn(config, observed, node, g.GroupName)).reduce((a, b) => a + b, 0) + (added[node] ?? 0);
      return used + load <= capacity;
    },
    place(config: MainConfig, g: GroupConfig, node: string): void {
      added[node] = (added[node] ?? 0) + loadOf(g);
    },
  };
}

export function planApply(current: MainConfig, next: MainConfig, observed: Observed): ApplyPlan {
  const changes = diffConfigs(current, next);
  const actions: ApplyAction[] = [];
  const nextGroups = new Map(next.Groups.map((g) => [g.GroupName, g]));
  const room = placedLoad(observed);
  for (const g of current.Groups) {
    const h = nextGroups.get(g.GroupName);
    const on = activeOn(current, g, observed);
    if (!h) {
      for (const n of on) actions.push({ op: 'stop', when: 'before', group: g.GroupName, node: n, code: 'APPLY_GROUP_REMOVED', message: `group ${g.GroupName} is not in the file: taken offline on ${n}, then removed` });
      continue;
    }
    const kept = new Set(h.Resources.map((r) => r.ResName));
    for (const r of g.Resources) {
      if (kept.has(r.ResName)) continue;
      for (const n of g.NodeList) {
        if (!ACTIVE.has(observed.resources[n]?.[r.ResName]?.state ?? '')) continue;
        actions.push({ op: 'stop-resource', when: 'before', group: g.GroupName, resource: r.ResName, node: n, code: 'APPLY_RESOURCE_REMOVED', message: `resource ${r.ResName} is not in the file: taken offline on ${n} (with the parents that STRONGly depend on it), then removed` });
      }
    }
    for (const n of on) {
      if (h.NodeList.includes(n)) continue;
      const to = h.NodeList.find((m) => m !== n && g.NodeList.includes(m) && running(observed, m) && !on.includes(m) && room.fits(current, g, m));
      if (to && (g.GroupType ?? 'FAILOVER') === 'FAILOVER') {
        room.place(current, g, to);
        actions.push({ op: 'move', when: 'before', group: g.GroupName, node: to, from: n, code: 'APPLY_NODE_LEFT_NODELIST', message: `${n} leaves the NodeList of ${g.GroupName}: switched to ${to}` });
      } else {
        actions.push({ op: 'stop', when: 'before', group: g.GroupName, node: n, code: 'APPLY_NO_NODE_LEFT', message: `${n} leaves the NodeList of ${g.GroupName} and no other node of it can take the group (RUNNING, with room for its Load): taken offline on ${n}` });
      }
    }
  }
  const currentNames = new Set(current.Groups.map((g) => g.GroupName));
  for (const h of next.Groups) {
    if (currentNames.has(h.GroupName) || h.AutoStart === false || h.Enabled === false) continue;
    const candidates = h.NodeList.filter((n) => running(observed, n));
    const type = h.GroupType ?? 'FAILOVER';
    const roomy = candidates.filter((n) => room.fits(next, h, n));
    const first = typeof h.AutoStartNode === 'string' && candidates.includes(h.AutoStartNode) ? (roomy.includes(h.AutoStartNode) ? h.AutoStartNode : undefined) : roomy[0];
    if (type !== 'PARALLEL' && first) room.place(next, h, first);
    const targets = type === 'PARALLEL' ? candidates : first ? [first] : [];
    for (const n of targets) actions.push({ op: 'start', when: 'after', group: h.GroupName, node: n, code: 'APPLY_GROUP_ADDED', message: `new group ${h.GroupName} (AutoStart): brought online on ${n}` });
  }
  return { changes, actions };
}

/** The file's content as the draft of modifyConfig gets it (ConfigVersion is the cluster's). */
export function sameConfiguration(a: MainConfig, b: MainConfig): boolean {
  return canonical({ ...a, ConfigVersion: 0 }) === canonical({ ...b, ConfigVersion: 0 });
}
