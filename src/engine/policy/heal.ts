// SPEC §3 Heal: when the links return and a failover group is ONLINE (or
// PARTIAL) on this node and on the peer whose states just arrived, exactly
// one node keeps it, chosen the same way on every node from exchanged data,
// without wall clocks: a node of the group's NodeList before a node outside
// it (a node outside the NodeList always gives the group up), then the
// higher takeover generation, then the higher node priority, then the
// smaller name. That order is total, so with three or more nodes every node
// that runs the group picks the same keeper among all the holders it knows
// of (this node, the peer, and any other node it sees running the group): the
// others give it up, pair by pair, as their states meet.
// A group holding storage (SharedDisk, MirrorDisk) must never be written from
// two nodes: it stops on every holder, and the keeper starts it again once
// no other node runs it.
//   not the keeper           -> HEAL_GIVE_UP: GroupOffline here
//   keeper, storage          -> HEAL_STORAGE_RESTART: GroupOffline here, then GroupOnline here once the others stopped it
//   keeper, no storage       -> HEAL_KEEP: nothing to do here
import { groupAttribute } from '../../model/resolve.js';
import { decide } from './codes.js';
import { isNodeRunning, type Ctx } from './context.js';
import { groupState } from './group-state.js';
import { planned, type Outcome } from './outcome.js';

/** Types whose data must never be written from two nodes: heal stops them on both first. */
export const STORAGE_TYPES: readonly string[] = ['SharedDisk', 'MirrorDisk'];

export interface HealCandidate {
  node: string;
  /** Takeover generation of the group as this node holds it (raised at every takeover). */
  generation: number;
  /** Position in Nodes: 0 = highest priority. */
  rank: number;
  /** In the group's NodeList (default true): a node outside it never keeps the group. */
  listed?: boolean;
}

export type HealRule = 'IN_NODELIST' | 'HIGHER_GENERATION' | 'HIGHER_PRIORITY' | 'NAME_ORDER';

/** The node that keeps the group; the same answer whichever side asks. */
export function healWinner(a: HealCandidate, b: HealCandidate): { winner: string; loser: string; code: HealRule; message: string } {
  const pick = (first: HealCandidate, second: HealCandidate, code: HealRule, why: string) => ({ winner: first.node, loser: second.node, code, message: `${first.node} keeps the group: ${why}` });
  const listed = (c: HealCandidate) => c.listed !== false;
  if (listed(a) !== listed(b)) {
    const [w, l] = listed(a) ? [a, b] : [b, a];
    return pick(w, l, 'IN_NODELIST', `${l.node} is not in the group's NodeList`);
  }
  if (a.generation !== b.generation) {
    const [w, l] = a.generation > b.generation ? [a, b] : [b, a];
    return pick(w, l, 'HIGHER_GENERATION', `takeover generation ${w.generation} > ${l.generation}`);
  }
  if (a.rank !== b.rank) {
    const [w, l] = a.rank < b.rank ? [a, b] : [b, a];
    return pick(w, l, 'HIGHER_PRIORITY', `same generation ${w.generation}, higher node priority (rank ${w.rank} < ${l.rank})`);
  }
  const [w, l] = a.node < b.node ? [a, b] : [b, a];
  return pick(w, l, 'NAME_ORDER', `same generation and rank, smaller node name`);
}

const STABLE: readonly string[] = ['ONLINE', 'PARTIAL'];

/** The group's takeover generation on `node`: this node's own, else what that node last told (per peer; the single peerGeneration for the peer of a two-node cluster). */
function generationOn(ctx: Ctx, here: string, peer: string, node: string): number {
  const rt = ctx.observed.groups?.[ctx.group.GroupName] ?? {};
  if (node === here) return rt.generation ?? 0;
  return rt.peerGenerations?.[node] ?? (node === peer ? rt.peerGeneration : undefined) ?? 0;
}

function list3(names: string[]): string {
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** null: the group needs no heal (not a failover group, not online on both, or a heal of it is under way). */
export function heal(ctx: Ctx, here: string, peer: string): Outcome | null {
  const g = ctx.group.GroupName;
  const rt = ctx.observed.groups?.[g] ?? {};
  if (groupAttribute(ctx.group, 'GroupType') !== 'FAILOVER' || rt.healing === true) return null;
  const stable = (n: string) => STABLE.includes(groupState(ctx.config, ctx.group, ctx.observed, n));
  if (!stable(here) || !stable(peer)) return null;
  // Every holder this node knows of: itself, the peer, and other RUNNING nodes seen running the group whose generation it has heard.
  const others = ctx.config.Nodes.map((n) => n.NodeName).filter((n) => n !== here && n !== peer && rt.peerGenerations?.[n] !== undefined && isNodeRunning(ctx.observed, n) && stable(n));
  const rank = (n: string) => ctx.config.Nodes.findIndex((x) => x.NodeName === n);
  const candidate = (n: string): HealCandidate => ({ node: n, generation: generationOn(ctx, here, peer, n), rank: rank(n), listed: ctx.group.NodeList.includes(n) });
  const holders = [here, peer, ...others];
  const keeper = holders.map(candidate).reduce((best, c) => (healWinner(best, c).winner === best.node ? best : c));
  const hereListed = ctx.group.NodeList.includes(here);
  // Why the keeper beats this node (or, when this node keeps it, the peer).
  const verdict = keeper.node === here ? healWinner(keeper, candidate(peer)) : healWinner(keeper, candidate(here));
  const storage = ctx.group.Resources.some((r) => STORAGE_TYPES.includes(r.Type));
  const where = holders.length === 2 ? `both ${here} and ${peer}` : list3([...holders].sort((a, b) => rank(a) - rank(b)));
  const keeps = hereListed ? verdict.message : `${here} is not in the group's NodeList (${ctx.group.NodeList.join(', ')}): it gives the group up`;
  const message = `group ${g} is online on ${where}: ${keeps}${storage ? `; it holds storage, so it stops on ${holders.length === 2 ? 'both and starts on the winner' : 'every holder and starts on the keeper'}` : ''}`;
  const facts = { group: g, ...verdict, ...(hereListed ? {} : { winner: keeper.node, loser: here, code: 'IN_NODELIST' }), keeper: keeper.node, holders, storage };
  const offline = { group: g, event: { kind: 'GroupOffline' as const, group: g, node: here, by: 'cluster' as const } };
  if (!hereListed || keeper.node !== here) return planned(decide('HEAL_GIVE_UP', message, facts), undefined, [offline]);
  if (storage) return planned(decide('HEAL_STORAGE_RESTART', message, facts), undefined, [offline, { group: g, event: { kind: 'GroupOnline', group: g, node: here, by: 'cluster' }, untilPeerStops: true }]);
  return planned(decide('HEAL_KEEP', message, facts));
}
