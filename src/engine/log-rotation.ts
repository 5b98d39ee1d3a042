// Size-based rotation of the engine log and the event log: FILE → FILE.1 →
// … → FILE.N (N = backups kept); the oldest is dropped.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';

/**
 * Rotates `path` once it holds `maxBytes` or more; with no backups kept the
 * file is removed (started afresh). True when it rotated; file system errors
 * are the caller's (a full disk must not stop the engine: both logs swallow
 * them).
 */
export function rotateWhenFull(path: string, maxBytes: number, backups: number): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false; // not there yet
  }
  if (size < maxBytes) return false;
  for (let i = backups - 1; i >= 1; i--) {
    if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
  }
  if (backups > 0) renameSync(path, `${path}.1`);
  else rmSync(path, { force: true });
  return true;
}
