// Users of config/users.json: roles Administrator and Monitor (read-only).
import { readConfinedFile } from '../model/confined-file.js';
import { MccsError } from '../model/errors.js';
import { parseJsonStrict } from '../model/json-text.js';
import { verifyPassword } from './password.js';

export type Role = 'Administrator' | 'Monitor';

export interface UserEntry {
  name: string;
  role: Role;
  hash: string;
}

export interface Principal {
  name: string;
  role: Role;
  /** true for the local root user on the socket (no password needed). */
  local: boolean;
  /** Remote address of the request, when it came over TLS (the join throttle needs it). */
  source?: string;
}

export const LOCAL_ROOT: Principal = { name: 'root', role: 'Administrator', local: true };

/** users.json: a regular file inside MCCS_HOME (model/confined-file.ts); errors never quote it. */
export async function readUsers(path: string): Promise<UserEntry[]> {
  let text: string;
  try {
    text = readConfinedFile(path).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    if (e instanceof MccsError) throw e;
    throw new MccsError('INVALID', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const data = parseJsonStrict(text, path) as { users?: UserEntry[] } | null;
  return data && Array.isArray(data.users) ? data.users.filter((u) => typeof u?.name === 'string' && typeof u.hash === 'string') : [];
}

/** The text of users.json (written on every node through the configuration store). */
export function usersText(users: UserEntry[]): string {
  return `${JSON.stringify({ users }, null, 2)}\n`;
}

/** The list with `entry` in place of the user of its name, or added at the end. */
export function withUser(users: UserEntry[], entry: UserEntry): UserEntry[] {
  return users.some((u) => u.name === entry.name) ? users.map((u) => (u.name === entry.name ? entry : u)) : [...users, entry];
}

/** Checks a user and password; the same error whether the user or the password is wrong. */
export async function authenticate(path: string, name: string, password: string): Promise<Principal> {
  const users = await readUsers(path);
  const user = users.find((u) => u.name === name);
  // Verify against a dummy hash for unknown users too, so timing does not tell which users exist.
  const ok = await verifyPassword(password, user?.hash ?? DUMMY_HASH);
  if (!user || !ok) throw new MccsError('AUTH', 'authentication failed: wrong user or password', ['check -u/-pw, MCCS_USER/MCCS_PASSWORD or the profile (mccs login)']);
  return { name: user.name, role: user.role, local: false };
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
