// A path with its symlinks resolved, or the path itself when it cannot be
// resolved (gone, not ours to read): for comparisons with what /proc shows.
import { realpathSync } from 'node:fs';

export function realPathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
