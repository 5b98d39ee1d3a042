// The files `mccs init` and `mccs secret generate` create under MCCS_HOME
// (SPEC §4). Each step is idempotent and reports what it did.
import { generateSecret, parseSecret, secretText, writeSecretFile } from '../cluster/crypto.js';
import { X509Certificate } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { hashPassword } from '../auth/password.js';
import { readUsers, usersText, withUser, type Role } from '../auth/users.js';
import { writeSharedDocument } from '../engine/shared-documents.js';
import { MccsError } from '../model/errors.js';
import type { HomePaths } from '../model/home.js';
import type { Runner } from '../engine/runner.js';

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

/**
 * The cluster secret: 32 random bytes, mode 0600; the same file on every
 * node. Refuses to replace an existing one unless `force` (every node would
 * have to get the new one). `from`: a key file copied from the first node.
 */
export async function writeClusterKey(path: string, options: { force?: boolean; from?: string } = {}): Promise<'created' | 'replaced' | 'copied'> {
  const present = await exists(path);
  if (!options.from) {
    generateSecret(path, options);
    return present ? 'replaced' : 'created';
  }
  const content = await readFile(options.from).catch((e: Error) => {
    throw new MccsError('NOT_FOUND', `cannot read the cluster secret ${options.from}: ${e.message}`, ['copy config/cluster.key from the first node']);
  });
  const key = parseSecret(content);
  if (!key) throw new MccsError('INVALID', `${options.from} is not a cluster secret (expected 64 hex digits)`, ['copy config/cluster.key from the first node as is']);
  writeSecretFile(path, secretText(key), options);
  return 'copied';
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

/**
 * Sets a user's password and role in config/users.json before any engine
 * runs (mccs init, init --join), keeping the other users. A running cluster
 * changes its users through the API (users.add, on every node).
 */
export async function writeUser(paths: HomePaths, user: { name: string; role: Role; password: string }): Promise<'created' | 'updated'> {
  // readUsers: confined to MCCS_HOME, and a syntax error is named by its position, never quoted.
  const users = await readUsers(paths.usersJson);
  const present = users.some((u) => u.name === user.name);
  const next = withUser(users, { name: user.name, role: user.role, hash: await hashPassword(user.password) });
  await writeSharedDocument(paths.config, { name: 'users.json', text: usersText(next) });
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
