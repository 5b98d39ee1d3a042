// The one door between the engine and the cluster layer above it. The engine
// declares what it needs from a cluster (this interface); the cluster layer
// (src/cluster/cluster-node.ts) implements it and attaches it once with
// engine.attach(port). A node without a cluster runs with singleNodePort.
// The engine never imports the cluster, and the cluster changes the engine's
// state only through engine methods.
import type { ConfigReplication } from './config-store.js';
import type { GroupLocks } from './group-queue.js';
import type { OwnershipGate } from './ownership-gate.js';
import type { PlanStep } from './policy/types.js';
import { AgentError } from './agents/agent.js';
import type { MainConfig } from '../model/types.js';

/** Who asked for a forwarded call (already authenticated on the node it was given on). */
export interface ForwardPrincipal {
  name: string;
  role: string;
}

export interface ClusterPort {
  /** Runs one step of a plan on the node it names (not this one). */
  remoteStep(step: PlanStep): Promise<void>;
  /** The local resource states changed: the peer learns them. */
  localStateChanged(): void;
  /** The running configuration was replaced (timings, addresses). */
  configChanged(config: MainConfig): void;
  /** Read-only node attributes the cluster knows (link states, the fault decision about a peer). */
  nodeExtras(node: string): Record<string, unknown>;
  /** Warnings for the status (single link, jeopardy, waiting to start alone…). */
  warnings(): string[];
  /** Membership, coordinator and witness as cluster.status shows them; absent on a single node. */
  status?(): unknown;
  /** Runs an API call on the peer's engine (or on the coordinator: coordinated); absent on a single node. */
  forward?(method: string, params: Record<string, unknown>, principal: ForwardPrincipal, options?: { coordinated?: boolean; to?: string }): Promise<unknown>;
  /** The other nodes of the cluster, in priority order; absent on a single node. */
  peers?(): string[];
  /** An operator forces this node to start without its peer; absent on a single node. */
  forceStartAlone?(): void;
  /** With a witness: awaited before a failover group comes online here. */
  ownershipGate?: OwnershipGate;
  /** With a witness: `mccs witness check`. */
  witnessCheck?(): Promise<unknown>;
  /** Cluster-wide exclusion per group (default: none, a single node needs none). */
  groupLocks?: GroupLocks;
  /** How configuration changes reach the other nodes (default: to nobody). */
  replication?: ConfigReplication;
}

/** A node alone: no peer to tell, no step runs elsewhere. */
export function singleNodePort(localNode: () => string): ClusterPort {
  return {
    remoteStep: async (step) => {
      throw new AgentError(`node ${step.node} is not reachable from ${localNode()}`);
    },
    localStateChanged: () => {},
    configChanged: () => {},
    nodeExtras: () => ({}),
    warnings: () => [],
  };
}
