// The witness attributes of main.json (WitnessType, WitnessEndpoints,
// WitnessTTL, WitnessCACert, WitnessCert, WitnessKey, WitnessPrefix) with
// their declared defaults, and the timings derived from WitnessTTL.
import { clusterAttributes, findDeclaration } from '../model/attributes.js';
import type { MainConfig } from '../model/types.js';

export interface WitnessSettings {
  type: 'none' | 'etcd';
  endpoints: string[];
  ttlMs: number;
  caCert: string;
  cert: string;
  key: string;
  /** Without a trailing slash. */
  prefix: string;
}

export const WITNESS_ATTRIBUTES = ['WitnessType', 'WitnessEndpoints', 'WitnessTTL', 'WitnessCACert', 'WitnessCert', 'WitnessKey', 'WitnessPrefix'] as const;

function attr<T>(config: MainConfig, name: string): T {
  return (config.Cluster[name] ?? findDeclaration(clusterAttributes, name)?.default) as T;
}

export function witnessSettings(config: MainConfig): WitnessSettings {
  const prefix = attr<string>(config, 'WitnessPrefix') || `/mccs/${config.Cluster.ClusterName}`;
  return {
    type: attr<string>(config, 'WitnessType') === 'etcd' ? 'etcd' : 'none',
    endpoints: attr<string>(config, 'WitnessEndpoints').split(',').map((s) => s.trim()).filter(Boolean),
    ttlMs: attr<number>(config, 'WitnessTTL'),
    caCert: attr<string>(config, 'WitnessCACert'),
    cert: attr<string>(config, 'WitnessCert'),
    key: attr<string>(config, 'WitnessKey'),
    prefix: prefix.replace(/\/+$/, ''),
  };
}

/** One string per witness attribute: a change of any of them needs an engine restart. */
export function witnessFingerprint(config: MainConfig): string {
  return JSON.stringify(WITNESS_ATTRIBUTES.map((a) => config.Cluster[a] ?? null));
}
