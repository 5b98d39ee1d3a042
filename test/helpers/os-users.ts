// Whether the machine has an OS user (a test that needs the postgres user
// skips with a reason otherwise), by the engine's own lookup (getent, NSS).
import { lookupUser } from '../../src/system/os-user.js';

export function hasUser(name: string): boolean {
  try {
    lookupUser(name);
    return true;
  } catch {
    return false;
  }
}
