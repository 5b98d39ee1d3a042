// The shape of main.json (SPEC §4) and of the states of SPEC §2.
// Attribute names are the MCCS ones; attributes sit flat in their object.

export type DependencyStrength = 'STRONG' | 'WEAK';
export type GroupType = 'FAILOVER' | 'PARALLEL' | 'SINGLE';

export interface Dependency {
  Parent: string;
  Child: string;
  OnlineDependency?: DependencyStrength;
  OfflineDependency?: DependencyStrength;
}

/** A resource: common attributes plus the attributes of its Type, flat. */
export interface ResourceConfig {
  ResName: string;
  Type: string;
  Critical?: boolean;
  Enabled?: boolean;
  RestartLimit?: number;
  [attribute: string]: unknown;
}

export interface GroupConfig {
  GroupName: string;
  GroupType: GroupType;
  NodeList: string[];
  AutoStart?: boolean;
  AutoStartNode?: string;
  AutoFailover?: boolean;
  AutoRestart?: boolean;
  Enabled?: boolean;
  Frozen?: boolean;
  Locked?: boolean;
  Resources: ResourceConfig[];
  Dependencies?: Dependency[];
  [attribute: string]: unknown;
}

export interface NodeConfig {
  NodeName: string;
  PrimaryHB?: string;
  SecondaryHB?: string;
  IsolationTestAddresses?: string;
  [attribute: string]: unknown;
}

export interface ClusterConfig {
  ClusterName: string;
  [attribute: string]: unknown;
}

export interface MainConfig {
  ConfigVersion: number;
  Cluster: ClusterConfig;
  Nodes: NodeConfig[];
  /** Per-type attribute values shared by every resource of that type. */
  Types?: Record<string, Record<string, unknown>>;
  Groups: GroupConfig[];
}

export type NodeState = 'EXITED' | 'INITING' | 'LOCAL_BUILD' | 'REMOTE_BUILD' | 'RUNNING' | 'FAULTED';
export type ResourceState = 'ONLINE' | 'OFFLINE' | 'STARTING' | 'STOPPING' | 'FAULTED' | 'UNKNOWN';
export type GroupState = 'ONLINE' | 'OFFLINE' | 'PARTIAL' | 'STARTING' | 'STOPPING' | 'FAULTED';
