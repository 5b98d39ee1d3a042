// `mccs login NAME`: checks a connection against the engine (cluster.status
// with these credentials; over TLS with a pinned certificate), then stores it
// as the client profile NAME (src/cli/profiles.ts). The password goes to a
// file of mode 0600 that the profile refers to (or the --password-file given).
import type { Envelope } from '../../api/protocol.js';
import { MccsError } from '../../model/errors.js';
import { defineSpec, type AnySpec, type Input, type RunContext } from '../spec.js';

export const loginSpecs: AnySpec[] = [
  defineSpec({
    id: 'login',
    summary: 'Check a connection against the engine, then store it as a client profile (host, user, pinned certificate, password file).',
    description: `Profiles live in ~/.config/mccs/config.json (mode 0600). Use one with --profile NAME or
MCCS_PROFILE=NAME; -u/--password/--host and MCCS_USER/MCCS_PASSWORD/MCCS_TLS_FINGERPRINT still
win over it. The password is read from MCCS_PASSWORD, --password-file or a prompt, and kept
in a file of mode 0600 next to the settings (or the --password-file itself is referred to).
Over --host, the engine's certificate must be pinned: --fingerprint, or confirm it at the prompt.`,
    examples: ['mccs login prod --host 10.0.0.1 -u admin --fingerprint AB:CD:…', 'MCCS_PASSWORD=… mccs login prod --host 10.0.0.1 -u admin --fingerprint AB:CD:…', 'mcgrp list --profile prod'],
    args: [{ name: 'name', summary: 'Profile name (letters, digits, - and _).', required: true }],
    flags: {
      fingerprint: { kind: 'string', summary: "SHA-256 fingerprint of the engine's certificate to pin (with --host)." },
      'password-file': { kind: 'string', summary: 'A file (mode 0600) holding the password; the profile refers to it.' },
    },
    method: 'cluster.status',
    params: () => ({}),
    render: 'login',
    run: (input, ctx) => login(input, ctx),
  }),
];

async function login(input: Input, ctx: RunContext): Promise<Envelope> {
  const name = input.args.name;
  if (!name) throw new MccsError('USAGE', 'missing argument NAME', ['mccs login NAME --host ADDRESS -u USER']);
  const { profilePassword, saveProfile, settingsDir, PROFILE_NAME } = await import('../profiles.js');
  if (!new RegExp(PROFILE_NAME).test(name)) throw new MccsError('USAGE', `'${name}' is not a profile name (letters, digits, - and _)`);
  const conn = { ...ctx.conn };
  const passwordFile = typeof input.flags['password-file'] === 'string' ? input.flags['password-file'] : undefined;
  if (passwordFile && conn.password === undefined) conn.password = profilePassword({ passwordFile });
  if (typeof input.flags.fingerprint === 'string') conn.fingerprint = input.flags.fingerprint;
  const json = input.flags.json === true;
  if (conn.user !== undefined && conn.password === undefined && ctx.io.stdinIsTTY && !json) {
    const { password } = await import('@inquirer/prompts');
    conn.password = await password({ message: `Password for ${conn.user}:`, mask: '*' });
  }
  const { callApi } = await import('../../api/client.js');
  let env = await callApi('cluster.status', {}, conn).catch((e: unknown) => e);
  // First contact over TLS: show the certificate and let the operator at a terminal pin it.
  const seen = env instanceof MccsError ? (env.details as { fingerprint?: string } | undefined)?.fingerprint : undefined;
  if (seen && !conn.fingerprint && ctx.io.stdinIsTTY && !json) {
    const { confirm } = await import('@inquirer/prompts');
    ctx.io.stderr(`${conn.host} presents the certificate SHA-256 ${seen}\ncompare it on that node: openssl x509 -noout -fingerprint -sha256 -in $MCCS_HOME/config/tls/cert.pem\n`);
    if (!(await confirm({ message: 'Pin this certificate?', default: false }))) throw new MccsError('AUTH', 'certificate not pinned: nothing stored');
    conn.fingerprint = seen;
    env = await callApi('cluster.status', {}, conn).catch((e: unknown) => e);
  }
  if (env instanceof Error) throw env;
  const checked = env as Envelope<{ ClusterName: string; localNode: string; ConfigVersion: number }>;
  if (!checked.ok) return checked;
  let reference = passwordFile;
  if (!reference && conn.password !== undefined) {
    const { mkdirSync, writeFileSync, readFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = join(settingsDir(ctx.io.env), 'credentials');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    reference = join(dir, name);
    if (!existsSync(reference) || readFileSync(reference, 'utf8') !== conn.password) writeFileSync(reference, conn.password, { mode: 0o600 });
  }
  const profile = {
    ...(conn.host ? { host: conn.host } : {}),
    ...(conn.user !== undefined ? { user: conn.user } : {}),
    ...(conn.host && conn.fingerprint ? { fingerprint: conn.fingerprint } : {}),
    ...(reference ? { passwordFile: reference } : {}),
  };
  const saved = await saveProfile(name, profile, ctx.io.env);
  return { ok: true, changed: saved.changed, result: { profile: name, settings: saved.path, ...profile, ClusterName: checked.result.ClusterName, node: checked.result.localNode } };
}
