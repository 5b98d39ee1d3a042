// `mccs init --join` (issue 5 item 2): the second node set up from the first,
// trusting it only through a one-time join token (`mccs join-token` on node1)
// and the pinned fingerprint of node1's certificate. node1's engine runs for
// real (dist/daemon) as one node of a two-node cluster on loopback addresses
// (127.0.0.21 / 127.0.0.22, HBPort 26321, remote API on 26324); it waits for
// its peer, but its TLS API serves. At the end node2's engine is started from
// the files the join wrote, and the two see each other.
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../src/api/client.js';
import type { MethodName } from '../../src/api/protocol.js';
import { verifyPassword } from '../../src/auth/password.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { generateSecret } from '../../src/cluster/crypto.js';
import { createCertificate, createHomeDirs } from '../../src/init/setup.js';
import { writeConfigFile } from '../../src/model/config.js';
import { homePaths } from '../../src/model/home.js';
import type { MainConfig } from '../../src/model/types.js';
import { runCli } from '../helpers/cli-run.js';
import { createHarness, DAEMON, makeHome, ROOT, rpcAt, waitFor, type Harness } from '../helpers/engine-harness.js';

const N1 = '127.0.0.21';
const N2 = '127.0.0.22';
const HB_PORT = 26321;
const API = `${N1}:${HB_PORT + 3}`;
const ADMIN_PASSWORD = 'node2-Admin-pw';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: { ok: boolean; changed?: boolean; result?: any; error?: { code: string; message: string; actions: string[] } };
}

async function mccs(args: string[], env: Record<string, string>): Promise<Run> {
  const r = await runCli('mccs', args, { env });
  if (args.includes('--json') && !r.json) throw new Error(`mccs ${args.join(' ')}: not one JSON envelope: ${r.stdout} ${r.stderr}`);
  return { ...r, json: r.json ?? { ok: false } };
}

/** A call to node1's TLS API without credentials (the pinned client of `mccs init --join`): the test looks at what the server refuses. */
function remoteRpc(fingerprint: string, method: string, params: Record<string, unknown> = {}): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
  return callApi(method as MethodName, params as never, { host: API, fingerprint, anonymous: true });
}

function clusterConfig(): MainConfig {
  return {
    ConfigVersion: 3,
    Cluster: { ClusterName: 'joined', HBPort: HB_PORT },
    Nodes: [
      { NodeName: 'n1', PrimaryHB: N1 },
      { NodeName: 'n2', PrimaryHB: N2 },
    ],
    Groups: [
      {
        GroupName: 'web',
        GroupType: 'FAILOVER',
        NodeList: ['n1', 'n2'],
        AutoStart: false,
        Resources: [{ ResName: 'web-app', Type: 'Process', Path: '/usr/bin/sleep', Arguments: ['1000000.26321'] }],
        Dependencies: [],
      },
    ],
  } as MainConfig;
}

/** Starts an engine and waits for its socket (not for RUNNING: a cluster node waits for its peer first). */
async function startEngine(h: Harness, node: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [DAEMON, '--node', node], { env: { ...process.env, MCCS_HOME: h.home }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  h.daemon = child;
  await waitFor(`engine ${node} to answer`, async () => {
    if (child.exitCode !== null) throw new Error(`engine ${node} exited ${child.exitCode}: ${stderr}`);
    if (!existsSync(join(h.home, 'run/mccs.sock'))) return false;
    return (await rpcAt(join(h.home, 'run/mccs.sock'), 'cluster.status')).ok;
  });
  return child;
}

describe('mccs init --join: the second node from the first, by one-time token and pinned fingerprint', () => {
  let node1: Harness;
  let node2: Harness;
  const spare: string[] = [];
  let fingerprint = '';

  const freshHome = () => {
    const home = makeHome('mccs-join-');
    spare.push(home);
    return home;
  };
  const joinArgs = (token: string, fp: string, extra: string[] = []) => ['init', '--join', API, '--token', token, '--fingerprint', fp, '--node', 'n2', '--json', ...extra];
  const joinEvents = () => node1.events().filter((e) => e.rule.startsWith('JOIN_'));
  const newToken = async (extra: string[] = []) => {
    const r = await mccs(['join-token', '--json', ...extra], { MCCS_HOME: node1.home });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.json.result as { token: string; fingerprint: string; command: string; address: string; expiresAt: string };
  };

  beforeAll(async () => {
    node1 = createHarness({ node: 'n1' });
    const paths = homePaths(node1.home);
    await createHomeDirs(paths);
    // The engine's own format (hex text): what `mccs secret generate` should write too (see the final note on setup.ts).
    generateSecret(paths.clusterKey, { force: true });
    fingerprint = (await createCertificate(new ExecRunner(), paths.tlsDir, 'n1', [N1])).fingerprint;
    await writeConfigFile(paths.mainJson, clusterConfig());
    await startEngine(node1, 'n1');
    node2 = createHarness({ node: 'n2' });
  });
  afterAll(async () => {
    await node2?.cleanup();
    await node1?.cleanup();
    const { rmSync } = await import('node:fs');
    for (const home of spare) rmSync(home, { recursive: true, force: true });
  });

  it('mccs join-token prints a one-time token, the pinned fingerprint and the command for node2', async () => {
    const t = await newToken();
    expect(t.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(t.fingerprint).toBe(fingerprint);
    expect(t.address).toBe(API);
    expect(t.command).toBe(`mccs init --join ${API} --token ${t.token} --fingerprint ${fingerprint} --node n2`);
    expect(Date.parse(t.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    const human = await mccs(['join-token'], { MCCS_HOME: node1.home });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/mccs init --join 127\.0\.0\.21:26324 --token \S+ --fingerprint [0-9A-F:]+ --node n2/);
    // The token itself is never written to the event log.
    expect(readFileSync(join(node1.home, 'log/events.jsonl'), 'utf8')).not.toContain(t.token);
    expect(node1.events().filter((e) => e.rule === 'JOIN_TOKEN_ISSUED')).toHaveLength(2);
  });

  it('a wrong fingerprint is refused (6) before anything is sent: the token stays valid', async () => {
    const t = await newToken();
    const home = freshHome();
    const before = joinEvents().length;
    const wrong = 'AB:'.repeat(31) + 'AB';
    const r = await mccs(joinArgs(t.token, wrong), { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(r.code, r.stdout).toBe(6);
    expect(r.json.error).toMatchObject({ code: 'AUTH' });
    expect(r.json.error?.message).toMatch(/does not match --fingerprint.*nothing was sent/);
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);
    expect(existsSync(join(home, 'config/cluster.key'))).toBe(false);
    expect(joinEvents().length).toBe(before); // node1 never saw a request
    // --dry-run: checks the address and the certificate, sends nothing either.
    const dry = await mccs([...joinArgs(t.token, fingerprint), '--dry-run'], { MCCS_HOME: home });
    expect(dry.code, dry.stdout).toBe(0);
    expect(dry.json).toMatchObject({ ok: true, changed: false });
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);
    expect(joinEvents().length).toBe(before);
    // The same token still works.
    const ok = await mccs(joinArgs(t.token, fingerprint), { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(ok.code, ok.stdout).toBe(0);
  });

  it('a wrong token is AUTH (6), nothing written; usage and unreachable errors have their codes', async () => {
    const home = freshHome();
    const r = await mccs(joinArgs('not-a-token-at-all', fingerprint), { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(r.code, r.stdout).toBe(6);
    expect(r.json.error?.message).toMatch(/unknown, already used or expired/);
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);
    expect(joinEvents().at(-1)?.rule).toBe('JOIN_REFUSED');

    const missing = await mccs(['init', '--join', API, '--json'], { MCCS_HOME: home });
    expect(missing.code).toBe(2);
    expect(missing.json.error?.message).toMatch(/--token[\s\S]*--fingerprint[\s\S]*--admin-password-file/);
    const badFp = await mccs(joinArgs('x', 'not-a-fingerprint'), { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(badFp.code).toBe(2);
    const nobody = await mccs(['init', '--join', `${N1}:26399`, '--token', 'x', '--fingerprint', fingerprint, '--json'], { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(nobody.code, nobody.stdout).toBe(7);
    // --node naming the node being joined: refused before the token is spent.
    const t = await newToken();
    const self = await mccs(['init', '--join', API, '--token', t.token, '--fingerprint', fingerprint, '--node', 'n1', '--json'], { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(self.code, self.stdout).toBe(5);
    const ghost = await mccs(['init', '--join', API, '--token', t.token, '--fingerprint', fingerprint, '--node', 'n9', '--json'], { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(ghost.code, ghost.stdout).toBe(4);
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);
  });

  it('the right token (from MCCS_JOIN_TOKEN) writes node1 main.json and cluster.key, with node2 own certificate and admin user', async () => {
    const t = await newToken();
    const r = await mccs(['init', '--join', API, '--fingerprint', fingerprint, '--node', 'n2', '--json'], { MCCS_HOME: node2.home, MCCS_JOIN_TOKEN: t.token, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, changed: true, result: { node: 'n2', peer: 'n1', ConfigVersion: 3 } });
    const p1 = homePaths(node1.home);
    const p2 = homePaths(node2.home);
    expect(JSON.parse(readFileSync(p2.mainJson, 'utf8'))).toEqual(JSON.parse(readFileSync(p1.mainJson, 'utf8')));
    expect(readFileSync(p2.clusterKey).equals(readFileSync(p1.clusterKey))).toBe(true);
    expect(statSync(p2.clusterKey).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(join(p2.tlsDir, 'node.crt')));
    expect(cert.subject).toContain('CN=n2');
    expect(cert.subjectAltName).toContain(`IP Address:${N2}`);
    expect(cert.fingerprint256).toBe(r.json.result.fingerprint);
    expect(cert.fingerprint256).not.toBe(fingerprint);
    expect(statSync(join(p2.tlsDir, 'node.key')).mode & 0o777).toBe(0o600);
    const users = JSON.parse(readFileSync(p2.usersJson, 'utf8')) as { users: { name: string; role: string; hash: string }[] };
    expect(users.users.map((u) => [u.name, u.role])).toEqual([['admin', 'Administrator']]);
    expect(await verifyPassword(ADMIN_PASSWORD, users.users[0]!.hash)).toBe(true);
    expect(joinEvents().at(-1)).toMatchObject({ rule: 'JOIN_ACCEPTED' });
    expect(readFileSync(join(node1.home, 'log/events.jsonl'), 'utf8')).not.toContain(t.token);

    // Used once: a second use is AUTH, and nothing is written.
    const home = freshHome();
    const again = await mccs(joinArgs(t.token, fingerprint), { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(again.code, again.stdout).toBe(6);
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);
    // An existing main.json is not replaced without --force (and the token is not spent on it).
    const t2 = await newToken();
    const exists = await mccs(joinArgs(t2.token, fingerprint), { MCCS_HOME: node2.home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(exists.code).toBe(5);
  });

  it('an expired token is AUTH (6)', async () => {
    const t = await newToken(['--ttl', '1']);
    await new Promise((r) => setTimeout(r, 1500));
    const home = freshHome();
    const r = await mccs(joinArgs(t.token, fingerprint), { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(r.code, r.stdout).toBe(6);
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);
  });

  it('the exception is cluster.join only: every other remote request without credentials is still refused', async () => {
    expect(await remoteRpc(fingerprint, 'cluster.status')).toMatchObject({ ok: false, error: { code: 'AUTH' } });
    expect(await remoteRpc(fingerprint, 'cluster.jointoken')).toMatchObject({ ok: false, error: { code: 'AUTH' } });
    expect(await remoteRpc(fingerprint, 'node.support')).toMatchObject({ ok: false, error: { code: 'AUTH' } });
    // With a token that is not one: AUTH, no config in the answer.
    const r = await remoteRpc(fingerprint, 'cluster.join', { token: 'guess' });
    expect(r).toMatchObject({ ok: false, error: { code: 'AUTH' } });
    expect(JSON.stringify(r)).not.toContain('ClusterName');
    // A Monitor-level caller cannot issue tokens either (Administrator only), even on the socket.
  });

  it("node2's engine starts from the joined files and the two nodes see each other", async () => {
    await startEngine(node2, 'n2');
    const running = async (h: Harness) => {
      const s = await rpcAt<{ nodes: { NodeName: string; state: string }[] }>(join(h.home, 'run/mccs.sock'), 'cluster.status');
      return s.ok && s.result.nodes.every((n) => n.state === 'RUNNING');
    };
    await waitFor('both nodes RUNNING on n1 and on n2', async () => (await running(node1)) && (await running(node2)), 40_000, 250);
  }, 60_000);
});
