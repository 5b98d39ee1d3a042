// SPEC §3 Heal: when the links return and a failover group is ONLINE (or
// PARTIAL) on both this node and the peer, exactly one keeps it, chosen the
// same way on both sides from exchanged data, without wall clocks: the higher
// takeover generation, then the higher node priority, then the smaller name.
// A group holding storage (SharedDisk, MirrorDisk) must never be written from
// two nodes: it stops on both, and the winner starts it again once the peer
// let go.
//   loser                    -> HEAL_GIVE_UP: GroupOffline here
//   winner, storage          -> HEAL_STORAGE_RESTART: GroupOffline here, then GroupOnline here once the peer stopped it
//   winner, no storage       -> HEAL_KEEP: nothing to do here
import { groupAttribute } from '../../model/resolve.js';
import { decide } from './codes.js';
import type { Ctx } from './context.js';
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
}

export type HealRule = 'HIGHER_GENERATION' | 'HIGHER_PRIORITY' | 'NAME_ORDER';

/** The node that keeps the group; the same answer whichever side asks. */
export function healWinner(a: HealCandidate, b: HealCandidate): { winner: string; loser: string; code: HealRule; message: string } {
  const pick = (first: HealCandidate, second: HealCandidate, code: HealRule, why: string) => ({ winner: first.node, loser: second.node, code, message: `${first.node} keeps the group: ${why}` });
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

/** null: the group needs no heal (not a failover group, not online on both, or a heal of it is under way). */
export function heal(ctx: Ctx, here: string, peer: string): Outcome | null {
  const g = ctx.group.GroupName;
  const rt = ctx.observed.groups?.[g] ?? {};
  if (groupAttribute(ctx.group, 'GroupType') !== 'FAILOVER' || rt.healing === true) return null;
  if (!STABLE.includes(groupState(ctx.config, ctx.group, ctx.observed, here)) || !STABLE.includes(groupState(ctx.config, ctx.group, ctx.observed, peer))) return null;
  const rank = (n: string) => ctx.config.Nodes.findIndex((x) => x.NodeName === n);
  const verdict = healWinner({ node: here, generation: rt.generation ?? 0, rank: rank(here) }, { node: peer, generation: rt.peerGeneration ?? 0, rank: rank(peer) });
  const storage = ctx.group.Resources.some((r) => STORAGE_TYPES.includes(r.Type));
  const message = `group ${g} is online on both ${here} and ${peer}: ${verdict.message}${storage ? '; it holds storage, so it stops on both and starts on the winner' : ''}`;
  const facts = { group: g, ...verdict, storage };
  const offline = { group: g, event: { kind: 'GroupOffline' as const, group: g, node: here, by: 'cluster' as const } };
  if (verdict.loser === here) return planned(decide('HEAL_GIVE_UP', message, facts), undefined, [offline]);
  if (storage) return planned(decide('HEAL_STORAGE_RESTART', message, facts), undefined, [offline, { group: g, event: { kind: 'GroupOnline', group: g, node: here, by: 'cluster' }, untilPeerStops: true }]);
  return planned(decide('HEAL_KEEP', message, facts));
}
