// The agent contract: every resource type is one observe() and small
// online/offline/clean built on it (STYLE.md, resource-agents).
import type { Runner } from '../runner.js';
import type { ResourceTypeDeclaration } from '../../model/resource-types.js';

/**
 * Three outcomes, not two: running, cleanly stopped, failed. `details`:
 * structured facts behind the reason (replication role, lag…), shown by
 * `mcres state --json` and `mccluster status --json`.
 */
export type Observation =
  | { state: 'running'; reason: string; details?: Record<string, unknown> }
  | { state: 'stopped'; reason: string; details?: Record<string, unknown> }
  | { state: 'failed'; reason: string; details?: Record<string, unknown> };

export interface AgentContext {
  /** Resource attributes, already resolved: resource value, else Types[type], else declared default. */
  attrs: Record<string, unknown>;
  resName: string;
  groupName: string;
  nodeName: string;
  /** $MCCS_HOME, for agent state files under run/. */
  home: string;
  runner: Runner;
  /** Aborted when the operation's timeout expires. */
  signal: AbortSignal;
  /** Milliseconds left in this operation's budget (for escalation inside it). */
  deadline: number;
  /** Called by agents that can see their resource end between monitor ticks (a child they started exiting). */
  onUnexpectedExit?: (reason: string) => void;
  /**
   * Offline only, when it is part of a planned switch: the node the group
   * moves to (a SharedDisk hands its lease to it, so it takes it at once).
   */
  successor?: string;
  /** One-line log for the engine log. */
  log: (message: string) => void;
}

/** A resource type (its declaration to the model: Type, monitor-only, attributes) and its four operations. */
export interface Agent extends ResourceTypeDeclaration {
  observe(ctx: AgentContext): Promise<Observation>;
  /** Must succeed when already running; ends with the resource running or throws with a one-line reason. */
  online(ctx: AgentContext): Promise<void>;
  /** Must succeed when already stopped; escalates inside its budget (graceful, forced, reported). */
  offline(ctx: AgentContext): Promise<void>;
  /** Forced stop when offline failed or timed out. */
  clean(ctx: AgentContext): Promise<void>;
  /**
   * The resource was deleted, moved or reconfigured, or the engine stops:
   * drop the background work kept for it on this node (a standby's lease
   * watch). Never stops what keeps a running resource safe (a held lease).
   */
  forget?(resource: Pick<AgentContext, 'nodeName' | 'resName'>): void;
}

/** An agent error whose message is the one-line reason shown to the operator. */
export class AgentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentError';
  }
}
