// Joining a second node (issue 5, `mccs init --join`): node1's engine hands
// its main.json and cluster.key to a node that proves it holds a one-time
// join token, over the TLS remote API whose certificate the joining node has
// pinned by fingerprint.
//
//   cluster.jointoken  (Administrator; local root needs no password)
//       → a fresh random token (192 bits, base64url), valid `ttl` seconds
//         (default 900), single use. Only its SHA-256 is kept, in this
//         engine's memory: an engine restart forgets every token.
//   cluster.join       { token, node?, attributes? }
//       → { config, clusterKeyBase64, peer, node, added? }. The ONE method
//         the server (src/api/server.ts) accepts over TLS without user and
//         password: the token is its authentication. A wrong, expired or
//         used token is AUTH (6) and nothing is returned; every attempt is
//         recorded in the event log (never the token itself).
//         Without attributes the node must already be in Nodes (the second
//         node of a pair written by mccs init). With attributes (PrimaryHB,
//         SecondaryHB, IsolationTestAddresses) it is a NEW node: added to
//         Nodes first by node.add (methods/node-add.ts), on the coordinating
//         node like every change, in the name of the Administrator who
//         issued the token; a refused addition leaves the token valid.
import { createHash, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Principal } from '../auth/users.js';
import { clusterPorts } from '../cluster/ports.js';
import { recordRejection } from '../engine/rejections.js';
import { NAME_PATTERN } from '../model/attributes.js';
import { cloneConfig } from '../model/config.js';
import { MccsError } from '../model/errors.js';
import type { Envelope } from './protocol.js';
import { LOCAL_SOURCE, loginAudit } from './login-audit.js';
import { dispatch, registerMethod, type MethodContext, type MethodOutcome } from './methods.js';
import { nodeAttributesParam } from './methods/node-add.js';

export const JOIN_METHOD = 'cluster.join';
/** Who a cluster.join request without credentials runs as: read-only, and only that method gets it. */
export const JOIN_PRINCIPAL: Principal = { name: 'join-token', role: 'Monitor', local: false };

export const DEFAULT_JOIN_TTL_S = 900;
const TOKEN_BYTES = 24;
/** Outstanding tokens at once (each issue beyond this drops the oldest). */
const MAX_TOKENS = 16;

interface IssuedToken {
  hash: Buffer;
  expiresAt: number;
  issuedBy: string;
}

const tokens: IssuedToken[] = [];

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

function dropExpired(now = Date.now()): void {
  for (let i = tokens.length - 1; i >= 0; i--) if (tokens[i]!.expiresAt <= now) tokens.splice(i, 1);
}

/** The outstanding token that matches, compared in constant time; undefined when none does. */
function findToken(token: string): IssuedToken | undefined {
  const hash = sha256(token);
  return tokens.find((t) => timingSafeEqual(t.hash, hash));
}

async function certificateOf(ctx: MethodContext): Promise<string> {
  const path = join(ctx.engine.paths.tlsDir, 'node.crt');
  try {
    return new X509Certificate(await readFile(path)).fingerprint256;
  } catch {
    throw new MccsError('CONFLICT', `this node has no TLS certificate (${path}), so its remote API is off and no node can join it`, [
      'create one: mccs init (or openssl, see mccs init --help), then restart the engine',
    ]);
  }
}

registerMethod('cluster.jointoken', {
  readOnly: false, // Administrator only (local root included)
  params: { ttl: { type: 'integer', minimum: 1, maximum: 86400 } },
  handler: async (ctx, params) => {
    const { engine, principal } = ctx;
    const fingerprint = await certificateOf(ctx);
    const ttl = typeof params.ttl === 'number' ? params.ttl : DEFAULT_JOIN_TTL_S;
    dropExpired();
    while (tokens.length >= MAX_TOKENS) tokens.shift();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = Date.now() + ttl * 1000;
    tokens.push({ hash: sha256(token), expiresAt, issuedBy: principal.name });
    const me = engine.config.Nodes.find((n) => n.NodeName === engine.localNode);
    const addresses = [me?.PrimaryHB, me?.SecondaryHB].filter((a): a is string => typeof a === 'string' && a !== '');
    const port = clusterPorts(Number(engine.config.Cluster.HBPort ?? 14321)).api;
    const others = engine.config.Nodes.map((n) => n.NodeName).filter((n) => n !== engine.localNode);
    // Listed nodes whose engine does not run: the ones a join is most likely for (a new node is the other case).
    const pending = others.filter((n) => engine.observed.nodes[n]?.state !== 'RUNNING');
    engine.record({
      subject: `node:${engine.localNode}`,
      cause: `operator ${principal.name}`,
      rule: 'JOIN_TOKEN_ISSUED',
      message: `one-time join token issued by ${principal.name}, valid ${ttl} s (until ${new Date(expiresAt).toISOString()})`,
    });
    return {
      changed: true,
      result: { token, expiresAt: new Date(expiresAt).toISOString(), ttl, fingerprint, node: engine.localNode, addresses, port, nodes: others, pending, witnessType: String(engine.config.Cluster.WitnessType ?? 'none') },
    };
  },
});

/** How long the joining node's addition may take to reach this engine's copy (it is committed on every RUNNING node before the coordinator answers). */
const ADDED_HERE_MS = 10_000;

/**
 * A new node's addition (node.add), in the name of the Administrator who
 * issued the token, on the coordinating node: here, or forwarded there as
 * every configuration change is. Resolves once this engine's copy lists it.
 */
async function addJoiningNode(ctx: MethodContext, node: string, attributes: Record<string, unknown>, issuedBy: string): Promise<MethodOutcome> {
  const { engine } = ctx;
  const principal: Principal = { name: `${issuedBy} (join token)`, role: 'Administrator', local: false };
  const params = { node, attributes };
  let out: MethodOutcome;
  if (!engine.cluster.forward || engine.store.isCoordinator()) {
    out = await dispatch({ engine, principal }, 'node.add', params);
  } else {
    const env = (await engine.cluster.forward('node.add', params, principal, { coordinated: true, to: engine.store.replication.coordinator() })) as Envelope;
    if (!env.ok) throw new MccsError(env.error.code, env.error.message, env.error.actions, env.error.details);
    out = env;
  }
  const end = Date.now() + ADDED_HERE_MS;
  while (!engine.config.Nodes.some((n) => n.NodeName === node)) {
    if (Date.now() > end) throw new MccsError('FAILED', `node ${node} was added by the coordinating node but ${engine.localNode} does not hold the change yet`, ['run the same mccs init --join again with a new token: the addition is already done (changed: false)']);
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

registerMethod(JOIN_METHOD, {
  // Callers without credentials run as JOIN_PRINCIPAL (Monitor); a new node's addition runs as the token's issuer (addJoiningNode).
  readOnly: true,
  params: { token: { type: 'string', minLength: 1, maxLength: 256 }, node: { type: 'string', pattern: NAME_PATTERN }, attributes: nodeAttributesParam },
  required: ['token'],
  handler: async (ctx, params) => {
    const { engine } = ctx;
    const who = typeof params.node === 'string' ? `node '${params.node}'` : 'a node';
    const source = ctx.principal.source ?? LOCAL_SOURCE;
    // A token is a credential: guessing is throttled and audited like a password (login-audit.ts).
    const entry = await loginAudit(engine).attempt({ user: 'join-token', source, auth: 'join-token', method: JOIN_METHOD }, async () => {
      dropExpired();
      const found = findToken(params.token as string);
      if (found) return found;
      recordRejection(engine, 'JOIN_REFUSED', { subject: `node:${engine.localNode}`, cause: `join request from ${who} at ${source}`, rule: 'JOIN_REFUSED', message: `join request from ${who} at ${source} refused: unknown, used or expired token`, facts: { source } });
      throw new MccsError('AUTH', 'join refused: the token is unknown, already used or expired', [`on ${engine.localNode}: mccs join-token prints a new one`]);
    });
    // Two requests with one token: the first to get here spends it.
    if (!tokens.includes(entry)) throw new MccsError('AUTH', 'join refused: the token is unknown, already used or expired', [`on ${engine.localNode}: mccs join-token prints a new one`]);
    const names = engine.config.Nodes.map((n) => n.NodeName);
    let added: boolean | undefined;
    // Checked before the token is spent, in both forms.
    if (params.node === engine.localNode) throw new MccsError('CONFLICT', `'${params.node}' is the node being joined, not the joining one`, [`give --node ${names.filter((n) => n !== engine.localNode).join(' or ') || 'NAME --primary-hb ADDRESS (a new node)'}`]);
    if (params.attributes !== undefined) {
      if (typeof params.node !== 'string') throw new MccsError('USAGE', 'a new node needs its name: --node NAME with --primary-hb');
      // Spent while the addition runs (no second use meanwhile); given back when it is refused, so a corrected retry needs no new token.
      tokens.splice(tokens.indexOf(entry), 1);
      try {
        added = (await addJoiningNode(ctx, params.node, params.attributes as Record<string, unknown>, entry.issuedBy)).changed;
      } catch (e) {
        if (entry.expiresAt > Date.now()) tokens.push(entry);
        const why = (e as Error).message.split('\n').filter((l) => l.trim() !== '').slice(0, 2).join(' ').replace(/\s+/g, ' ');
        recordRejection(engine, 'JOIN_REFUSED', { subject: `node:${engine.localNode}`, cause: `join request from ${who} at ${source}`, rule: 'JOIN_REFUSED', message: `join request from ${who} at ${source} refused: the new node was not added (${why}); the token stays valid`, facts: { source } });
        if (!(e instanceof MccsError)) throw e;
        throw new MccsError(e.code, e.message, [...e.actions.filter((a) => a !== 'nothing was changed'), `nothing was changed, and the token stays valid until ${new Date(entry.expiresAt).toISOString()}: run the same command again once this is fixed`], e.details);
      }
    } else if (typeof params.node === 'string') {
      // Checked before the token is spent: a typo in --node costs no new token.
      if (!names.includes(params.node)) {
        throw new MccsError('NOT_FOUND', `node '${params.node}' is not in the configuration of ${engine.localNode} (nodes: ${names.join(', ')})`, ['give --node one of those names', `or, to add ${params.node} as a new node: --node ${params.node} --primary-hb ADDRESS [--secondary-hb ADDRESS]`]);
      }
    }
    const at = tokens.indexOf(entry);
    if (at >= 0) tokens.splice(at, 1);
    let key: Buffer;
    try {
      key = await readFile(engine.paths.clusterKey);
    } catch (e) {
      throw new MccsError('FAILED', `cannot read the cluster secret ${engine.paths.clusterKey}: ${(e as Error).message}`);
    }
    engine.record({
      subject: `node:${engine.localNode}`,
      cause: `join request from ${who}`,
      rule: 'JOIN_ACCEPTED',
      message: `${who} joined with a token issued by ${entry.issuedBy}${added === true ? ' as a new node (added to Nodes)' : added === false ? ' as a new node (already in Nodes with this definition)' : ''}: main.json (ConfigVersion ${engine.config.ConfigVersion}) and cluster.key sent over TLS`,
    });
    return {
      changed: true,
      result: { config: cloneConfig(engine.config), clusterKeyBase64: key.toString('base64'), peer: engine.localNode, ...(typeof params.node === 'string' ? { node: params.node } : {}), ...(added !== undefined ? { added } : {}) },
    };
  },
});
