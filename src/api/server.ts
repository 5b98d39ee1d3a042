// The engine API on $MCCS_HOME/run/mccs.sock: HTTP/JSON, one endpoint.
// The socket is mode 0600 and owned by root, so only root can open it; the
// local root user needs no password; -u/-pw are checked when given.
import './methods/admin.js';
import './methods-rename.js';
import './methods-group-put.js';
import './methods-config.js';
import './methods-watch.js';
import { JOIN_METHOD, JOIN_PRINCIPAL } from './methods-join.js';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { LOCAL_ROOT, type Principal } from '../auth/users.js';
import type { ForwardedCall } from '../cluster/cluster-node.js';
import type { Engine } from '../engine/engine.js';
import { rejectionLimiter } from '../engine/rejections.js';
import type { ConnectionGuard } from '../limits/connection-guard.js';
import { httpServerOptions, limitHttpListener } from '../limits/http-limits.js';
import { limitValue } from '../limits/constants.js';
import { MccsError } from '../model/errors.js';
import { LOCAL_SOURCE, passwordLogin } from './login-audit.js';
import { changesConfig, coordinatedParams, dispatch } from './methods.js';
import { API_PATH, type Envelope } from './protocol.js';

/** Methods that act on one node's own view, so they run on the node they name. */
const FORWARDED = new Set(['res.probe', 'node.support']);

interface RpcRequest {
  method: string;
  params?: Record<string, unknown>;
  user?: string;
  password?: string;
}

/** The shape of every request, checked before anything else looks at it. */
const requestShape = new Ajv({ allErrors: true, strict: false }).compile({
  type: 'object',
  properties: {
    method: { type: 'string', minLength: 1, maxLength: 64 },
    params: { type: 'object' },
    user: { type: 'string', maxLength: 128 },
    password: { type: 'string', maxLength: 1024 },
  },
  required: ['method'],
  additionalProperties: false,
});

/** Where a request comes from: the socket peer, as the login audit names it. */
export interface RequestOrigin {
  /** TLS remote API (credentials required) or the local socket. */
  remote: boolean;
  /** Remote address, or "local socket". */
  source: string;
}

/**
 * Reads a request body of at most API_MAX_BODY_BYTES into one buffer. A
 * larger one is refused (413) before it is read, by its Content-Length, or
 * as soon as it passes the limit.
 */
function readBody(req: IncomingMessage): Promise<string> {
  const max = limitValue('API_MAX_BODY_BYTES');
  return new Promise((resolve, reject) => {
    const tooLarge = () => new HttpError(413, new MccsError('USAGE', `request body too large (limit ${max} bytes)`));
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      reject(tooLarge());
      return;
    }
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        chunks.length = 0;
        req.removeAllListeners('data');
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    req.on('error', reject);
  });
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: MccsError,
  ) {
    super(error.message);
  }
}

/** Errors of the JavaScript runtime are bugs, not answers: their text stays in engine.log. */
const INTERNAL = [TypeError, RangeError, ReferenceError, SyntaxError];

export function errorEnvelope(e: unknown): Envelope {
  if (e instanceof MccsError) return { ok: false, error: e.toJSON() };
  if (INTERNAL.some((k) => e instanceof k)) return { ok: false, error: { code: 'FAILED', message: 'internal error in the engine (the details are in engine.log)', actions: ['report it with mcnode -support'] } };
  return { ok: false, error: { code: 'FAILED', message: (e as Error)?.message ?? String(e), actions: [] } };
}

function parseRequest(body: string): RpcRequest {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    throw new MccsError('USAGE', 'request is not JSON', [`send {"method": "...", "params": {...}} with POST ${API_PATH}`]);
  }
  if (!requestShape(request)) {
    const why = (requestShape.errors ?? [])
      .map((e) => (e.keyword === 'additionalProperties' ? `unknown field '${String(e.params.additionalProperty)}'` : e.keyword === 'required' ? `no '${String(e.params.missingProperty)}'` : `${e.instancePath.slice(1) || 'the request'} ${e.message}`))
      .join('; ');
    throw new MccsError('USAGE', `bad request: ${why}`, ['a request is {"method": "...", "params": {...}, "user"?: "...", "password"?: "..."}']);
  }
  return request as RpcRequest;
}

/**
 * Handles one RPC. `remote` requests (TLS) must carry credentials; local
 * socket requests are root's unless credentials are given. Every login is
 * throttled and audited (login-audit.ts).
 */
export async function handleRpc(engine: Engine, body: string, origin: RequestOrigin | boolean): Promise<Envelope> {
  const from: RequestOrigin = typeof origin === 'boolean' ? { remote: origin, source: origin ? 'remote' : LOCAL_SOURCE } : origin;
  try {
    const request = parseRequest(body);
    let principal: Principal = LOCAL_ROOT;
    if (typeof request.user === 'string' && request.user !== '') {
      principal = await passwordLogin(engine, { user: request.user, source: from.source, method: request.method }, request.password ?? '');
    } else if (from.remote && request.method === JOIN_METHOD) {
      // The one exception: cluster.join (mccs init --join) carries a one-time join token instead of credentials; it runs as the read-only JOIN_PRINCIPAL and the method checks the token (methods-join.ts), throttled like a password.
      principal = { ...JOIN_PRINCIPAL, source: from.source };
    } else if (from.remote) {
      throw new MccsError('AUTH', 'remote access needs a user and password', ['pass -u USER -pw PASSWORD, or set MCCS_USER/MCCS_PASSWORD']);
    }
    const params = request.params ?? {};
    // Configuration changes are ordered by one node (issue 8): the others forward them to it.
    if (engine.cluster.forward && changesConfig(request.method) && params.dryRun !== true && !engine.store.isCoordinator()) {
      const coordinator = engine.store.replication.coordinator();
      return (await engine.cluster.forward(request.method, coordinatedParams(request.method, params, engine.localNode), principal, { coordinated: true, to: coordinator })) as Envelope;
    }
    // Node-scoped commands about the peer run on the peer (SPEC §3: commands are forwarded).
    if (engine.cluster.forward && typeof params.node === 'string' && params.node !== engine.localNode && FORWARDED.has(request.method) && engine.config.Nodes.some((n) => n.NodeName === params.node)) {
      return (await engine.cluster.forward(request.method, params, principal)) as Envelope;
    }
    const out = await dispatch({ engine, principal }, request.method, params);
    return { ok: true, changed: out.changed, result: out.result };
  } catch (e) {
    if (INTERNAL.some((k) => e instanceof k)) engine.log.error(`API: internal error: ${(e as Error).stack ?? String(e)}`);
    return errorEnvelope(e);
  }
}

/** A call forwarded by the peer's engine (its operator already authenticated there). */
export async function handleForwarded(engine: Engine, call: ForwardedCall): Promise<Envelope> {
  try {
    const principal: Principal = { name: `${call.principal.name}@peer`, role: call.principal.role === 'Administrator' ? 'Administrator' : 'Monitor', local: false };
    // A configuration change sent to the coordinator keeps its params; a node-scoped command runs for this node.
    const params = call.coordinated === true ? call.params : { ...call.params, node: engine.localNode };
    const out = await dispatch({ engine, principal }, call.method, params);
    return { ok: true, changed: out.changed, result: out.result };
  } catch (e) {
    return errorEnvelope(e);
  }
}

/** The connection guard of a listener, set once the listener exists (applyLimits). */
interface GuardHolder {
  guard?: ConnectionGuard;
}

export function requestListener(engine: Engine, remote: boolean, holder: GuardHolder = {}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, env: Envelope, close = false) => {
      if (res.headersSent || res.destroyed) return;
      const text = JSON.stringify(env);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(close ? { connection: 'close' } : {}) });
      res.end(text);
      // A refused body is not read on: the connection goes, and its buffers with it.
      if (close) res.once('finish', () => req.socket.destroy());
    };
    if (req.method !== 'POST' || req.url !== API_PATH) {
      send(404, errorEnvelope(new MccsError('USAGE', `use POST ${API_PATH}`)), true);
      return;
    }
    let body: string;
    try {
      body = await readBody(req);
    } catch (e) {
      send(e instanceof HttpError ? e.status : 400, errorEnvelope(e instanceof HttpError ? e.error : new MccsError('USAGE', 'the request could not be read')), true);
      return;
    }
    // A whole request is in: while it is served its connection is not closed to make room for newcomers.
    holder.guard?.trust(req.socket);
    res.once('finish', () => holder.guard?.distrust(req.socket));
    send(200, await handleRpc(engine, body, { remote, source: remote ? (req.socket.remoteAddress ?? 'unknown') : LOCAL_SOURCE }));
  };
}

/** The limits every API listener has, before TLS or HTTP read a byte (SECURITY.md). */
function applyLimits(engine: Engine, server: Server, listener: string): ConnectionGuard {
  return limitHttpListener(server, {
    onRefused: (source, why) => {
      if (rejectionLimiter(engine).admit(`connection refused (${listener})`)) engine.log.warn(`${listener}: refused a connection from ${source}: ${why}`);
    },
  });
}

/** HTTP server options shared by both listeners. */
const httpOptions = httpServerOptions;

export async function listenLocal(engine: Engine, socketPath: string): Promise<Server> {
  if (existsSync(socketPath)) unlinkSync(socketPath); // left by a killed engine; the daemon lock guarantees we are the only engine
  const holder: GuardHolder = {};
  const server = createServer(httpOptions(), requestListener(engine, false, holder));
  holder.guard = applyLimits(engine, server, 'local API');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const old = process.umask(0o177);
    server.listen(socketPath, () => {
      process.umask(old);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
  return server;
}

/**
 * Remote access (HBPort+3): the same API over TLS with this node's certificate
 * (config/tls/node.crt, created by `mccs init`; the CLI pins its fingerprint).
 * Every remote request must carry a user and password.
 */
export async function listenRemote(engine: Engine, addresses: string[], port: number): Promise<Server[]> {
  const cert = join(engine.paths.tlsDir, 'node.crt');
  const key = join(engine.paths.tlsDir, 'node.key');
  if (!existsSync(cert) || !existsSync(key)) {
    engine.log.info(`remote API disabled: no certificate in ${engine.paths.tlsDir} (mccs init creates one)`);
    return [];
  }
  const options = { ...httpOptions(), cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.2' as const, handshakeTimeout: limitValue('API_TLS_HANDSHAKE_TIMEOUT_MS') };
  const servers: Server[] = [];
  for (const host of addresses) {
    const holder: GuardHolder = {};
    const server = createTlsServer(options, requestListener(engine, true, holder));
    holder.guard = applyLimits(engine, server, `remote API ${host}:${port}`);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => resolve());
      });
      servers.push(server);
      engine.log.info(`remote API listening on ${host}:${port} (TLS)`);
    } catch (e) {
      engine.log.warn(`remote API cannot listen on ${host}:${port}: ${(e as Error).message}`);
    }
  }
  return servers;
}
