// The four consecutive ports from HBPort (SPEC §3, attribute HBPort).

export interface ClusterPorts {
  /** UDP: heartbeats on the PrimaryHB link. */
  primary: number;
  /** UDP: heartbeats on the SecondaryHB link. */
  secondary: number;
  /** TCP: commands and configuration between engines. */
  command: number;
  /** TLS: remote API for the CLI. */
  api: number;
}

export const DEFAULT_HB_PORT = 14321;

export function clusterPorts(hbPort: number = DEFAULT_HB_PORT): ClusterPorts {
  return { primary: hbPort, secondary: hbPort + 1, command: hbPort + 2, api: hbPort + 3 };
}
