// A short checksum of a configuration, the same on every node for the same
// content whatever the key order: nodes publish it with their state so that
// two copies under one ConfigVersion that differ are seen at once.
import { createHash } from 'node:crypto';
import type { MainConfig } from './types.js';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** 16 hex digits of SHA-256 over the canonical JSON (sorted keys). */
export function configChecksum(config: MainConfig): string {
  return createHash('sha256').update(JSON.stringify(canonical(config))).digest('hex').slice(0, 16);
}
