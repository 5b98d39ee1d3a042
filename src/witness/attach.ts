// Attaches a witness to a cluster node when WitnessType is etcd: membership's
// input into fault decisions and a hold check at every heartbeat link drop.
// The cluster node passes the witness to the engine in its port (the
// ownership gate, `mccs witness check`).
import type { Engine } from '../engine/engine.js';
import type { WitnessFact } from './fact.js';
import { witnessSettings } from './settings.js';
import { Witness, type WitnessHooks } from './witness.js';

/** What the witness needs of membership (src/cluster/membership.ts). */
export interface MembershipPort {
  livePeersHeard(): boolean;
  peerNames(): string[];
  witnessInput?: (peer: string) => WitnessFact;
  on(event: 'linkDown' | 'peerHearing', listener: () => void): unknown;
}

export function attachWitness(engine: Engine, membership: MembershipPort, hooks: Omit<WitnessHooks, 'peerHeard' | 'peers'>): Witness | undefined {
  const settings = witnessSettings(engine.config);
  if (settings.type !== 'etcd') return undefined;
  const witness = new Witness(settings, engine, { ...hooks, peers: () => membership.peerNames(), peerHeard: () => membership.livePeersHeard() });
  membership.witnessInput = (node) => witness.faultFact(node);
  membership.on('linkDown', () => witness.checkHold());
  membership.on('peerHearing', () => witness.checkHold());
  return witness;
}
