// What the engine shows of its nodes, groups and resources (cluster.status and the -list commands).
import type { GroupState, NodeState, ResourceState } from '../model/types.js';

export interface ResourceView {
  ResName: string;
  Type: string;
  GroupName: string;
  /** Every attribute, resolved (resource, else Types, else default), plus read-only ones. */
  attributes: Record<string, unknown>;
  /** state[node] */
  states: Record<string, { state: ResourceState; reason?: string; restartCount?: number; details?: Record<string, unknown> }>;
}

export interface GroupView {
  GroupName: string;
  attributes: Record<string, unknown>;
  /** state[node] */
  states: Record<string, GroupState>;
  resources: string[];
  dependencies: { Parent: string; Child: string; OnlineDependency: string; OfflineDependency: string }[];
}

export interface NodeView {
  NodeName: string;
  attributes: Record<string, unknown>;
  state: NodeState;
}

export interface ClusterStatus {
  ClusterName: string;
  localNode: string;
  ConfigVersion: number;
  nodes: NodeView[];
  groups: GroupView[];
  resources: ResourceView[];
  /** Plain sentences: jeopardy, no fencing, waiting for the peer, ... */
  warnings: string[];
  /** Two-node clusters: links, ICMP ages, the last fault decision, fencing, rejected messages. */
  membership?: unknown;
  /** Login audit counts since the engine started, and rejections per kind (SECURITY.md). */
  security?: {
    logins: { ok: number; failed: number; throttled: number; locked: number; lockedNow: string[] };
    rejected: Record<string, number>;
  };
}

/** One line of log/events.jsonl (ARCHITECTURE "The event log"). */
