// Client profiles: named connections kept with `conf` in
// ~/.config/mccs/config.json (XDG_CONFIG_HOME honoured; MCCS_CONFIG_DIR for
// tests), mode 0600. A profile holds where and who: host, user, the pinned
// certificate fingerprint, and a reference to the password (a file of mode
// 0600), never the password itself. Selected by --profile NAME or
// MCCS_PROFILE; flags and MCCS_USER / MCCS_PASSWORD / MCCS_TLS_FINGERPRINT
// still win over it. `conf` is loaded only when a profile is used (its
// import costs more than the CLI's whole start-up budget).
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MccsError } from '../model/errors.js';

export interface Profile {
  host?: string;
  user?: string;
  fingerprint?: string;
  /** The credentials reference: a file holding the password (mode 0600). */
  passwordFile?: string;
}

export const PROFILE_NAME = '^[A-Za-z0-9_-]{1,64}$';

const profileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 300 },
    user: { type: 'string', minLength: 1, maxLength: 64 },
    fingerprint: { type: 'string', pattern: '^(sha-?256[:/])?[0-9A-Fa-f:]{64,95}$' },
    passwordFile: { type: 'string', minLength: 1 },
  },
};

export function settingsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MCCS_CONFIG_DIR) return env.MCCS_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'mccs');
}

interface Settings {
  profiles: Record<string, Profile>;
}

async function store(env: NodeJS.ProcessEnv) {
  const { default: Conf } = await import('conf');
  try {
    return new Conf<Settings>({
      projectName: 'mccs',
      cwd: settingsDir(env),
      configName: 'config',
      configFileMode: 0o600,
      defaults: { profiles: {} },
      schema: { profiles: { type: 'object', propertyNames: { pattern: PROFILE_NAME }, additionalProperties: profileSchema } } as never,
      clearInvalidConfig: false,
    });
  } catch (e) {
    throw new MccsError('INVALID', `client settings ${join(settingsDir(env), 'config.json')} are not valid: ${(e as Error).message}`, ['fix or remove the file, then mccs login again']);
  }
}

function checkName(name: string): void {
  if (!new RegExp(PROFILE_NAME).test(name)) throw new MccsError('USAGE', `'${name}' is not a profile name (letters, digits, - and _)`);
}

/** The profile NAME; NOT_FOUND naming the known ones. */
export async function loadProfile(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Profile> {
  checkName(name);
  const s = await store(env);
  const p = s.get('profiles')[name];
  if (!p) {
    const known = Object.keys(s.get('profiles'));
    throw new MccsError('NOT_FOUND', `no profile '${name}' in ${s.path}`, [known.length ? `known profiles: ${known.join(', ')}` : 'create one: mccs login NAME --host ADDRESS -u USER']);
  }
  return p;
}

export async function saveProfile(name: string, profile: Profile, env: NodeJS.ProcessEnv = process.env): Promise<{ path: string; changed: boolean }> {
  checkName(name);
  const s = await store(env);
  const before = JSON.stringify(s.get('profiles')[name] ?? null);
  if (before === JSON.stringify(profile)) return { path: s.path, changed: false };
  s.set('profiles', { ...s.get('profiles'), [name]: profile });
  return { path: s.path, changed: true };
}

/** The password a profile refers to; refused when others can read its file (like ssh). */
export function profilePassword(profile: Profile): string | undefined {
  if (!profile.passwordFile) return undefined;
  let mode: number;
  try {
    mode = statSync(profile.passwordFile).mode;
  } catch (e) {
    throw new MccsError('AUTH', `cannot read the password file ${profile.passwordFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ['mccs login again']);
  }
  if ((mode & 0o077) !== 0) throw new MccsError('AUTH', `password file ${profile.passwordFile} is readable by others (mode ${(mode & 0o777).toString(8)})`, [`chmod 600 ${profile.passwordFile}`]);
  return readFileSync(profile.passwordFile, 'utf8').replace(/\r?\n$/, '');
}
