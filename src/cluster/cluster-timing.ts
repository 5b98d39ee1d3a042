// The cluster's timing attributes as membership uses them, with the defaults
// of their declarations (SPEC §8).
import { clusterAttributes, findDeclaration } from '../model/attributes.js';
import type { MainConfig } from '../model/types.js';

/** Cluster timing attributes, defaults from their declarations (SPEC §8). */
export interface ClusterTiming {
  hbPort: number;
  hbIntervalMs: number;
  hbTimeoutMs: number;
  splitThresholdMs: number;
  startAloneTimeoutMs: number;
  isolationTestTimeoutMs: number;
  fenceProgram: string;
  fenceDelayMs: number;
  pingIntervalMs: number;
}

function attr<T>(config: MainConfig, name: string): T {
  const value = config.Cluster[name];
  return (value ?? findDeclaration(clusterAttributes, name)?.default) as T;
}

export function clusterTiming(config: MainConfig): ClusterTiming {
  return {
    hbPort: attr<number>(config, 'HBPort'),
    hbIntervalMs: attr<number>(config, 'HBInterval'),
    hbTimeoutMs: attr<number>(config, 'HBTimeout'),
    splitThresholdMs: attr<number>(config, 'SplitThreshold'),
    startAloneTimeoutMs: attr<number>(config, 'StartAloneTimeout') * 1000,
    isolationTestTimeoutMs: attr<number>(config, 'IsolationTestTimeout') * 1000,
    fenceProgram: attr<string>(config, 'FenceProgram') ?? '',
    fenceDelayMs: (attr<number>(config, 'FenceDelay') ?? 0) * 1000,
    pingIntervalMs: attr<number>(config, 'PingInterval'),
  };
}

export function splitAddresses(list: unknown): string[] {
  return typeof list === 'string' ? list.split(',').map((s) => s.trim()).filter(Boolean) : [];
}
