export interface LocalEtcd {
  endpoint: string;
  clientPort: number;
  pid: number;
  dir: string;
  logFile: string;
  stop(): Promise<void>;
}
export function freePort(host?: string): Promise<number>;
export function startLocalEtcd(options?: { timeoutMs?: number; host?: string; attempts?: number }): Promise<LocalEtcd>;
