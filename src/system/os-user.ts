// OS users as the node's name service knows them: `getent passwd`, which
// reads /etc/passwd and whatever else NSS is set up with (LDAP, SSSD, …), so
// a PostgreSQL or Oracle owner that lives in a directory is found too.
//
// Synchronous on purpose: agents resolve their user while they build their
// settings, and the answer is kept for a minute, so one small fork per user
// and minute stays off the monitor path. An unknown user is asked again
// every time (an operator who adds it is seen at once).
import { execFileSync } from 'node:child_process';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const KEEP_MS = 60_000;
const known = new Map<string, { user: OsUser; until: number }>();

/** One line of the passwd database (name:password:uid:gid:gecos:home:shell); undefined when it is not one. */
export function parsePasswdLine(line: string): OsUser | undefined {
  const f = line.split(':');
  if (f.length < 7 || !f[0] || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) return undefined;
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' };
}

/** The user of that name; throws "OS user 'x' does not exist on this node" when NSS knows none. */
export function lookupUser(name: string, now = Date.now()): OsUser {
  const hit = known.get(name);
  if (hit && hit.until > now) return hit.user;
  // A number would be taken for a uid; ':' or white space never stand in a user name.
  if (name === '' || /^\d+$/.test(name) || /[:\s]/.test(name)) throw new Error(`OS user '${name}' does not exist on this node`);
  let out: string;
  try {
    out = execFileSync('getent', ['passwd', '--', name], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    // getent exits 2 when the key is not found.
    if ((e as { status?: number }).status === 2) throw new Error(`OS user '${name}' does not exist on this node`);
    throw new Error(`cannot look up OS user '${name}' (getent passwd): ${(e as Error).message.split('\n')[0]}`);
  }
  const user = out.split('\n').map(parsePasswdLine).find((u) => u?.name === name);
  if (!user) throw new Error(`OS user '${name}' does not exist on this node`);
  known.set(name, { user, until: now + KEEP_MS });
  return user;
}
