// What `mccs discover` reports: each finding with the evidence it was read
// from (a file, a process, a command), so an operator can check it.

/** Where a finding comes from: "/proc/812/cmdline", "postmaster.pid", "systemctl list-units"… */
export type Evidence = string[];

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  exe: string | null;
  args: string[];
  uid: number;
  user: string;
  cwd: string | null;
}

export interface PostgresCluster {
  dataDir: string;
  port: number;
  osUser: string;
  version: string;
  pid: number;
  binDir: string | null;
  socketDir: string | null;
  listenAddresses: string | null;
  evidence: Evidence;
}

export interface OracleInstance {
  sid: string;
  oracleHome: string | null;
  osUser: string;
  pid: number;
  /** In /etc/oratab (and its start flag), when listed there. */
  oratab: { home: string; autostart: boolean } | null;
  evidence: Evidence;
}

export interface OracleListener {
  name: string;
  oracleHome: string | null;
  osUser: string;
  pid: number;
  evidence: Evidence;
}

export interface ServiceUnit {
  unit: string;
  description: string;
  evidence: Evidence;
}

export interface TcpListener {
  address: string;
  port: number;
  pid: number | null;
  exe: string | null;
  args: string[];
  user: string | null;
  cwd: string | null;
  evidence: Evidence;
}

export interface BlockFileSystem {
  device: string;
  fsType: string;
  mountPoint: string;
  sizeBytes: number | null;
  freeBytes: number | null;
  evidence: Evidence;
}

export interface InterfaceInfo {
  name: string;
  state: string;
  addresses: { address: string; prefix: number; family: 'inet' | 'inet6' }[];
  evidence: Evidence;
}

export interface Discovery {
  host: string;
  time: string;
  postgresql: PostgresCluster[];
  oracle: { instances: OracleInstance[]; listeners: OracleListener[] };
  services: ServiceUnit[];
  listeners: TcpListener[];
  fileSystems: BlockFileSystem[];
  interfaces: InterfaceInfo[];
  /** What could not be looked at, and why (no systemd, not root…). */
  notes: string[];
}
