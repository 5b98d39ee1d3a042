// `mccs init --join ADDRESS --token TOKEN --fingerprint SHA256`: sets up this
// node from the first one. Trust comes from two things the operator carries
// from node1 (both printed by `mccs join-token` there): the pinned SHA-256
// fingerprint of node1's certificate, checked before a single byte of the
// request is sent, and a one-time token, which node1's engine accepts once
// (src/api/methods-join.ts). node1 answers with its main.json and
// cluster.key over that TLS channel; this node then gets its own TLS
// certificate and users.json (admin password of its own), as `mccs init` does.
//
// A NEW node (a third or more, or a replacement under a new name) also gives
// its definition: `--node NAME --primary-hb ADDRESS [--secondary-hb ADDRESS]
// [--isolation-addresses LIST]`. The running cluster adds it to Nodes first
// (one configuration change, validated whole: more than two nodes need
// WitnessType etcd), then hands the files back as for the second node.
import { hostname, networkInterfaces } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { callApi, connectPinned as connectTls, normalizeFingerprint, splitHost } from '../api/client.js';
import type { Envelope } from '../api/protocol.js';
import { parseSecret, writeSecretFile } from '../cluster/crypto.js';
import { ExecRunner } from '../engine/exec-runner.js';
import { MccsError } from '../model/errors.js';
import { homePaths, type HomePaths } from '../model/home.js';
import type { MainConfig } from '../model/types.js';
import { checkDefinition } from '../api/methods/node-definition.js';
import { checkPassword, createCertificate, createHomeDirs, exists, writeUser } from './setup.js';

export interface JoinOptions {
  /** node1's address as given to --join: ADDRESS, ADDRESS:PORT, [V6]:PORT (default port 14324 = HBPort+3). */
  address: string;
  token?: string;
  fingerprint?: string;
  /** This node's name (default: the node whose heartbeat address is on this host, else the only other node). */
  node?: string;
  /** A new node's heartbeat addresses and isolation test addresses: it is added to Nodes (needs node). */
  primaryHB?: string;
  secondaryHB?: string;
  isolationAddresses?: string;
  home: string;
  password?: string;
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
  timeoutMs?: number;
}

export interface JoinAnswer {
  config: MainConfig;
  clusterKeyBase64: string;
  peer: string;
  node?: string;
  /** A new node: true when this join added it to Nodes, false when it was there with this definition. */
  added?: boolean;
}

export interface JoinResult {
  home: string;
  node: string;
  peer: string;
  files: string[];
  /** This node's own certificate fingerprint (pin it on clients that use --host). */
  fingerprint?: string;
  ConfigVersion: number;
  /** A new node: added to Nodes by this join (false: it was there already with this definition). */
  added?: boolean;
  warnings?: string[];
  nextSteps: string[];
}

/** "SHA256:AB:CD…" and friends: 64 hex digits once normalized, else a usage error. */
export function checkFingerprint(fp: string): string {
  const n = normalizeFingerprint(fp);
  if (!/^[0-9a-f]{64}$/.test(n)) throw new MccsError('USAGE', `--fingerprint '${fp}' is not a SHA-256 fingerprint (64 hex digits, colons allowed)`, ['copy it as mccs join-token printed it on the first node']);
  return n;
}

/** A TLS connection to node1 whose certificate matched the pinned fingerprint (checked on the handshake, before anything is written). */
export async function connectPinned(address: string, fingerprint: string, timeoutMs = 10_000): Promise<TLSSocket> {
  checkFingerprint(fingerprint);
  return (await joinErrors(address, () => connectTls({ host: address, fingerprint }, timeoutMs))) as TLSSocket;
}

/** Calls cluster.join on node1 over the pinned TLS channel, without user or password: the token is the authentication. */
export async function requestJoin(address: string, fingerprint: string, params: { token: string; node?: string; attributes?: NewNodeAttributes }, timeoutMs = 30_000): Promise<Envelope<JoinAnswer>> {
  checkFingerprint(fingerprint);
  const envelope = (await joinErrors(address, () => callApi('cluster.join', params, { host: address, fingerprint, anonymous: true, timeoutMs }))) as Envelope<JoinAnswer>;
  if (envelope.ok === false && envelope.error.code === 'USAGE' && /unknown method/.test(envelope.error.message)) {
    throw new MccsError('FAILED', `the engine at ${where(address)} does not know cluster.join: upgrade it to this version first`);
  }
  return envelope;
}

const where = (address: string): string => {
  const { host, port } = splitHost(address);
  return `${host}:${port}`;
};

/** The client's errors, told in the words of --join (what the operator typed, and what to check on the first node). */
async function joinErrors<T>(address: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof MccsError)) throw e;
    const presented = (e.details as { fingerprint?: string } | undefined)?.fingerprint;
    if (e.code === 'AUTH' && presented !== undefined) {
      throw new MccsError('AUTH', `the certificate of ${where(address)} does not match --fingerprint (it presents ${presented}); nothing was sent`, [
        'check the address and the fingerprint printed by mccs join-token on the first node',
        'a different certificate may mean someone is in the middle',
      ]);
    }
    if (e.code === 'UNREACHABLE') {
      throw new MccsError('UNREACHABLE', e.message.replace(/^cannot reach the engine at /, 'cannot reach the engine of the first node at '), [
        `check that its engine runs (systemctl status mccs) and that TCP port ${splitHost(address).port} is open to this node`,
        'the port is HBPort+3 of the first node (default 14324): --join ADDRESS:PORT',
      ]);
    }
    throw e;
  }
}

function hostAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)));
}

/** This node's name in node1's configuration: --node, else by heartbeat address, else by host name, else the only other node. */
export function pickNode(config: MainConfig, peer: string, explicit?: string): string {
  const names = config.Nodes.map((n) => n.NodeName);
  if (explicit) {
    if (!names.includes(explicit)) throw new MccsError('NOT_FOUND', `node '${explicit}' is not in the configuration of ${peer} (${names.join(', ')})`, [`to add it as a new node: --node ${explicit} --primary-hb ADDRESS`]);
    return explicit;
  }
  const others = config.Nodes.filter((n) => n.NodeName !== peer);
  const mine = hostAddresses();
  const byAddress = others.find((n) => [n.PrimaryHB, n.SecondaryHB].some((a) => typeof a === 'string' && mine.has(a)));
  if (byAddress) return byAddress.NodeName;
  const short = hostname().split('.')[0];
  const byName = others.find((n) => n.NodeName === short);
  if (byName) return byName.NodeName;
  if (others.length === 1) return others[0]!.NodeName;
  throw new MccsError('USAGE', `cannot tell which node this is (${others.map((n) => n.NodeName).join(', ')}): give --node`);
}

type NewNodeAttributes = { PrimaryHB: string; SecondaryHB?: string; IsolationTestAddresses?: string };

/** A new node's definition from the flags (undefined for a node main.json lists already); checked as the engine checks it. */
export function newNodeAttributes(opts: Pick<JoinOptions, 'node' | 'primaryHB' | 'secondaryHB' | 'isolationAddresses'>): NewNodeAttributes | undefined {
  const { primaryHB, secondaryHB, isolationAddresses } = opts;
  if (primaryHB === undefined) {
    if (secondaryHB !== undefined || isolationAddresses !== undefined) throw new MccsError('USAGE', '--secondary-hb and --isolation-addresses define a new node: give its --primary-hb too', ['mccs init --join ADDRESS --token T --fingerprint F --node NAME --primary-hb ADDRESS [--secondary-hb ADDRESS]']);
    return undefined;
  }
  if (!opts.node) throw new MccsError('USAGE', '--primary-hb adds a new node: give its name with --node NAME', ['mccs join-token on a running node prints the whole command']);
  const attributes: NewNodeAttributes = { PrimaryHB: primaryHB, ...(secondaryHB ? { SecondaryHB: secondaryHB } : {}), ...(isolationAddresses !== undefined ? { IsolationTestAddresses: isolationAddresses } : {}) };
  checkDefinition({ NodeName: opts.node, ...attributes });
  return attributes;
}

/** Everything but the network: what would go wrong before a token is spent. */
async function preflight(opts: JoinOptions, paths: HomePaths): Promise<{ token: string; fingerprint: string }> {
  if (opts.password === undefined && !opts.dryRun && !opts.json && process.stdin.isTTY && opts.token && opts.fingerprint) {
    // At a terminal: ask for this node's admin password, as the wizard does.
    const { password } = await import('@inquirer/prompts');
    for (;;) {
      const first = await password({ message: 'Password of the admin user of this node', mask: '*', validate: (p: string) => checkPassword(p) ?? true });
      if (first === (await password({ message: 'Password again', mask: '*' }))) {
        opts.password = first;
        break;
      }
    }
  }
  const missing: string[] = [];
  if (!opts.token) missing.push('--token TOKEN (or MCCS_JOIN_TOKEN)');
  if (!opts.fingerprint) missing.push('--fingerprint SHA256');
  if (!opts.dryRun && opts.password === undefined) missing.push('--admin-password-file FILE (or MCCS_ADMIN_PASSWORD, or --admin-password)');
  if (missing.length > 0) {
    throw new MccsError('USAGE', `missing flags for --join:\n  ${missing.join('\n  ')}`, ['on the first node, mccs join-token prints the token and the fingerprint'], { missing });
  }
  checkFingerprint(opts.fingerprint!);
  newNodeAttributes(opts);
  if (opts.password !== undefined) {
    const problem = checkPassword(opts.password);
    if (problem) throw new MccsError('INVALID', problem);
  }
  if (!opts.dryRun && (await exists(paths.mainJson)) && !opts.force) {
    throw new MccsError('CONFLICT', `${paths.mainJson} already exists`, ['keep it, or rerun with --force to replace this node\'s configuration with the first node\'s']);
  }
  return { token: opts.token!, fingerprint: opts.fingerprint! };
}

/** The whole --join: preflight, the call, then the files (main.json last, so a failed run can be repeated with a new token). */
export async function joinCluster(opts: JoinOptions): Promise<{ changed: boolean; result: JoinResult; text: string }> {
  const paths = homePaths(opts.home);
  const { token, fingerprint } = await preflight(opts, paths);
  if (opts.dryRun) {
    // Checks the flags, the address and the pinned certificate; sends nothing, so the token stays valid.
    (await connectPinned(opts.address, fingerprint, opts.timeoutMs)).destroy();
    const result = { home: paths.home, address: opts.address, fingerprint: 'matches', dryRun: true };
    return { changed: false, result: result as unknown as JoinResult, text: `${opts.address}: reachable, certificate matches --fingerprint; nothing was sent (the token is still valid).` };
  }
  const attributes = newNodeAttributes(opts);
  const answer = await requestJoin(opts.address, fingerprint, { token, ...(opts.node ? { node: opts.node } : {}), ...(attributes ? { attributes } : {}) }, opts.timeoutMs);
  if (!answer.ok) throw new MccsError(answer.error.code, answer.error.message, answer.error.actions, answer.error.details);
  const { config, clusterKeyBase64, peer, added } = answer.result;
  const key = Buffer.from(clusterKeyBase64 ?? '', 'base64');
  // Copied byte for byte (every node holds the same file); checked only for shape, as the engine reads it.
  if (!parseSecret(key)) throw new MccsError('FAILED', `${peer} sent something that is not a cluster secret (${key.length} bytes)`);
  await import('../engine/agents/catalog.js'); // the agents declare their Types to the validator
  const { validateConfig, writeConfigFile } = await import('../model/config.js');
  const valid = validateConfig(config);
  if (!valid.ok) throw new MccsError('INVALID', `the configuration sent by ${peer} is invalid here:\n  ${valid.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('\n  ')}`, ['upgrade both nodes to the same version']);
  const node = pickNode(config, peer, opts.node);
  const me = config.Nodes.find((n) => n.NodeName === node)!;
  const addresses = [me.PrimaryHB, me.SecondaryHB].filter((a): a is string => typeof a === 'string' && a !== '');

  const files: string[] = [];
  let ownFingerprint = '';
  const { Listr } = await import('listr2');
  const renderer = opts.json ? 'silent' : process.stdout.isTTY ? 'default' : 'simple';
  const tasks = new Listr(
    [
      { title: `Create ${paths.home} (config/, config/tls/, log/, run/)`, task: async () => void (await createHomeDirs(paths)) },
      {
        title: `Cluster secret config/cluster.key (from ${peer})`,
        task: async () => {
          writeSecretFile(paths.clusterKey, key, { force: true });
          files.push(paths.clusterKey);
        },
      },
      {
        title: `TLS certificate of ${node} (config/tls/node.crt, node.key)`,
        task: async () => {
          ownFingerprint = (await createCertificate(new ExecRunner(), paths.tlsDir, node, addresses)).fingerprint;
          files.push(`${paths.tlsDir}/node.crt`, `${paths.tlsDir}/node.key`);
        },
      },
      { title: 'Admin user (config/users.json)', task: async () => void (await writeUser(paths, { name: 'admin', role: 'Administrator', password: opts.password! }), files.push(paths.usersJson)) },
      { title: `config/main.json (ConfigVersion ${config.ConfigVersion}, from ${peer})`, task: async () => void (await writeConfigFile(paths.mainJson, config), files.push(paths.mainJson)) },
    ],
    { renderer, exitOnError: true, rendererOptions: {} },
  );
  await tasks.run();
  const mine = hostAddresses();
  // 127.0.0.0/8 is all this host's, though only 127.0.0.1 is listed.
  const warnings = attributes ? addresses.filter((a) => !mine.has(a.split('%')[0]!) && !a.startsWith('127.')).map((a) => `${a} is not an address of this host yet: the engine heartbeats from it (add it, or mcnode remove ${node} and join again with the right one)`) : [];
  const nextSteps = [
    'Install the systemd unit and start the engine: mccs service install && systemctl daemon-reload && systemctl enable --now mccs',
    `Check that every node sees the others: mccluster status   (${config.Nodes.map((n) => n.NodeName).join(', ')} RUNNING)`,
    ...(attributes ? [`No group runs on ${node} until it is in their NodeList: mcgrp modify GROUP NodeList=${config.Nodes.map((n) => n.NodeName).join(',')} (in the order you want)`] : []),
    `For remote CLI use of ${node} (--host), pin its certificate: SHA-256 ${ownFingerprint}`,
  ];
  const result: JoinResult = { home: paths.home, node, peer, files, fingerprint: ownFingerprint, ConfigVersion: config.ConfigVersion, ...(added !== undefined ? { added } : {}), ...(warnings.length ? { warnings } : {}), nextSteps };
  const text = [
    `Joined: ${node} configured in ${paths.home} from ${peer} (main.json ConfigVersion ${config.ConfigVersion}, cluster.key).`,
    ...(added === true ? [`${node} was added to the cluster's nodes (${config.Nodes.length} nodes now).`] : added === false ? [`${node} was already one of the cluster's nodes with this definition.`] : []),
    `Certificate fingerprint (SHA-256) of ${node}: ${ownFingerprint}`,
    ...warnings.map((w) => `warning: ${w}`),
    '',
    'Next steps:',
    ...nextSteps.map((s, i) => `  ${i + 1}. ${s}`),
  ].join('\n');
  return { changed: true, result, text };
}
