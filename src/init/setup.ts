// The files `mccs init` and `mccs secret generate` create under MCCS_HOME
// (SPEC §4). Each step is idempotent and reports what it did.
import { parseSecret } from '../cluster/crypto.js';
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { hashPassword } from '../auth/password.js';
import { readUsers } from '../auth/users.js';
import { MccsError } from '../model/errors.js';
import type { HomePaths } from '../model/home.js';
import type { MainConfig } from '../model/types.js';
import type { Runner } from '../engine/runner.js';

export const CLUSTER_KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 8;

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** config/ (0750), config/tls/ (0700), log/ (0750), run/ (0700: the API socket is root only). */
export async function createHomeDirs(paths: HomePaths): Promise<string[]> {
  const dirs: [string, number][] = [
    [paths.home, 0o755],
    [paths.config, 0o750],
    [paths.tlsDir, 0o700],
    [paths.logDir, 0o750],
    [paths.runDir, 0o700],
  ];
  const created: string[] = [];
  for (const [dir, mode] of dirs) {
    if (!(await exists(dir))) {
      await mkdir(dir, { recursive: true, mode });
      await chmod(dir, mode);
      created.push(dir);
    }
  }
  return created;
}

export async function writeMainJson(path: string, config: MainConfig): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, { fsync: true, mode: 0o644 });
}

/**
 * The cluster secret: 32 random bytes, raw, mode 0600; the same file on every
 * node. Refuses to replace an existing one unless `force` (every node would
 * have to get the new one).
 */
export async function writeClusterKey(path: string, options: { force?: boolean; from?: string } = {}): Promise<'created' | 'replaced' | 'copied'> {
  const present = await exists(path);
  if (present && !options.force) {
    throw new MccsError('CONFLICT', `${path} already exists`, ['keep it (every node needs the same secret)', 'or replace it with --force and copy the new one to every node']);
  }
  let key: Buffer;
  if (options.from) {
    const content = await readFile(options.from).catch((e: Error) => {
      throw new MccsError('NOT_FOUND', `cannot read the cluster secret ${options.from}: ${e.message}`, ['copy config/cluster.key from the first node']);
    });
    const parsed = parseSecret(content);
    if (!parsed) throw new MccsError('INVALID', `${options.from} is not a cluster secret (expected 64 hex digits)`, ['copy config/cluster.key from the first node as is']);
    key = parsed;
  } else {
    key = randomBytes(CLUSTER_KEY_BYTES);
  }
  // The same text format as `mccs secret generate` writes and the engine reads.
  const text = `${key.toString('hex')}\n`;
  await writeFileAtomic(path, text, { fsync: true, mode: 0o600 });
  await chmod(path, 0o600);
  return options.from ? 'copied' : present ? 'replaced' : 'created';
}

export interface Certificate {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, colon-separated hex (as `openssl x509 -fingerprint -sha256` prints it). */
  fingerprint: string;
}

/** The SubjectAltName of a node's certificate: its name and heartbeat addresses. */
export function subjectAltName(nodeName: string, addresses: string[]): string {
  return ['DNS:' + nodeName, ...addresses.filter((a) => isIP(a) !== 0).map((a) => 'IP:' + a)].join(',');
}

/** A self-signed EC P-256 certificate for the node's remote API (config/tls/node.crt, node.key 0600). */
export async function createCertificate(runner: Runner, tlsDir: string, nodeName: string, addresses: string[]): Promise<Certificate> {
  const cert = join(tlsDir, 'node.crt');
  const key = join(tlsDir, 'node.key');
  const tmpCert = `${cert}.tmp-${process.pid}`;
  const tmpKey = `${key}.tmp-${process.pid}`;
  try {
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
      '-subj', `/CN=${nodeName}`, '-addext', `subjectAltName=${subjectAltName(nodeName, addresses)}`, '-keyout', tmpKey, '-out', tmpCert];
    let result;
    try {
      result = await runner.run('openssl', args, { timeoutMs: 30_000 });
    } catch (e) {
      throw new MccsError('FAILED', `cannot create the TLS certificate: ${(e as Error).message}`, ['install openssl (Debian: apt-get install openssl)']);
    }
    if (result.exitCode !== 0) throw new MccsError('FAILED', `openssl failed (exit ${result.exitCode}): ${result.stderr.split('\n').filter(Boolean).pop() ?? ''}`);
    await chmod(tmpKey, 0o600);
    await rename(tmpKey, key);
    await rename(tmpCert, cert);
  } finally {
    await rm(tmpKey, { force: true });
    await rm(tmpCert, { force: true });
  }
  return { cert, key, fingerprint: await certificateFingerprint(cert) };
}

export async function certificateFingerprint(certPath: string): Promise<string> {
  return new X509Certificate(await readFile(certPath)).fingerprint256;
}

export interface UserEntry {
  name: string;
  role: 'Administrator' | 'Monitor';
  hash: string;
}

/** Sets the admin user's password in config/users.json (mode 0600), keeping the other users. */
export async function writeAdminUser(path: string, password: string): Promise<'created' | 'updated'> {
  let users: UserEntry[] = [];
  const present = await exists(path);
  if (present) {
    // readUsers: confined to MCCS_HOME, and a syntax error is named by its position, never quoted.
    users = (await readUsers(path)).filter((u) => u.name !== 'admin');
  }
  users.unshift({ name: 'admin', role: 'Administrator', hash: await hashPassword(password) });
  await writeFileAtomic(path, `${JSON.stringify({ users }, null, 2)}\n`, { fsync: true, mode: 0o600 });
  await chmod(path, 0o600);
  return present ? 'updated' : 'created';
}

export function checkPassword(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `the admin password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (/[\r\n]/.test(password)) return 'the admin password must not contain a line break';
  return undefined;
}

/** Copies a file when the destination differs; 'unchanged' when it already holds the same bytes. */
export async function installFile(source: string, dest: string, options: { force?: boolean; mode?: number } = {}): Promise<'created' | 'replaced' | 'unchanged'> {
  const wanted = await readFile(source);
  if (await exists(dest)) {
    const current = await readFile(dest);
    if (current.equals(wanted)) return 'unchanged';
    if (!options.force) throw new MccsError('CONFLICT', `${dest} exists and differs from ${source}`, ['compare them, then retry with --force to replace it']);
    await copyFile(source, dest);
    if (options.mode !== undefined) await chmod(dest, options.mode);
    return 'replaced';
  }
  await copyFile(source, dest);
  if (options.mode !== undefined) await chmod(dest, options.mode);
  return 'created';
}
