// The engine API on $MCCS_HOME/run/mccs.sock: HTTP/JSON, one endpoint.
// The socket is mode 0600 and owned by root, so only root can open it; the
// local root user needs no password; -u/-pw are checked when given.
import './methods-admin.js';
import { JOIN_METHOD, JOIN_PRINCIPAL } from './methods-join.js';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authenticate, LOCAL_ROOT, type Principal } from '../auth/users.js';
import type { Engine } from '../engine/engine.js';
import { MccsError } from '../model/errors.js';
import { dispatch } from './methods.js';
import { API_PATH, type Envelope } from './protocol.js';

const MAX_BODY = 1024 * 1024;

/** Methods that act on one node's own view, so they run on the node they name. */
const FORWARDED = new Set(['res.probe', 'node.support']);

interface RpcRequest {
  method?: unknown;
  params?: unknown;
  user?: unknown;
  password?: unknown;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new MccsError('USAGE', 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function errorEnvelope(e: unknown): Envelope {
  if (e instanceof MccsError) return { ok: false, error: e.toJSON() };
  return { ok: false, error: { code: 'FAILED', message: (e as Error)?.message ?? String(e), actions: [] } };
}

/**
 * Handles one RPC. `remote` requests (TLS) must carry credentials; local
 * socket requests are root's unless credentials are given.
 */
export async function handleRpc(engine: Engine, body: string, remote: boolean): Promise<Envelope> {
  let request: RpcRequest;
  try {
    request = JSON.parse(body) as RpcRequest;
  } catch {
    return errorEnvelope(new MccsError('USAGE', 'request is not JSON'));
  }
  try {
    if (typeof request.method !== 'string') throw new MccsError('USAGE', 'request has no method');
    let principal: Principal = LOCAL_ROOT;
    if (typeof request.user === 'string' && request.user !== '') {
      principal = await authenticate(engine.paths.usersJson, request.user, typeof request.password === 'string' ? request.password : '');
    } else if (remote && request.method === JOIN_METHOD) {
      // The one exception: cluster.join (mccs init --join) carries a one-time join token instead of credentials; it runs as the read-only JOIN_PRINCIPAL and the method checks the token (methods-join.ts).
      principal = JOIN_PRINCIPAL;
    } else if (remote) {
      throw new MccsError('AUTH', 'remote access needs a user and password', ['pass -u USER -pw PASSWORD, or set MCCS_USER/MCCS_PASSWORD']);
    }
    const params = (request.params ?? {}) as Record<string, unknown>;
    // Node-scoped commands about the peer run on the peer (SPEC §3: commands are forwarded).
    if (engine.forward && typeof params.node === 'string' && params.node !== engine.localNode && FORWARDED.has(request.method) && engine.config.Nodes.some((n) => n.NodeName === params.node)) {
      return (await engine.forward(request.method, params, principal)) as Envelope;
    }
    const out = await dispatch({ engine, principal }, request.method, request.params);
    return { ok: true, changed: out.changed, result: out.result };
  } catch (e) {
    return errorEnvelope(e);
  }
}

/** A call forwarded by the peer's engine (its operator already authenticated there). */
export async function handleForwarded(engine: Engine, call: { method: string; params: Record<string, unknown>; principal: { name: string; role: string } }): Promise<Envelope> {
  try {
    const principal: Principal = { name: `${call.principal.name}@peer`, role: call.principal.role === 'Administrator' ? 'Administrator' : 'Monitor', local: false };
    const out = await dispatch({ engine, principal }, call.method, { ...call.params, node: engine.localNode });
    return { ok: true, changed: out.changed, result: out.result };
  } catch (e) {
    return errorEnvelope(e);
  }
}

export function requestListener(engine: Engine, remote: boolean) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, env: Envelope) => {
      const text = JSON.stringify(env);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'POST' || req.url !== API_PATH) {
      send(404, errorEnvelope(new MccsError('USAGE', `use POST ${API_PATH}`)));
      return;
    }
    try {
      send(200, await handleRpc(engine, await readBody(req), remote));
    } catch (e) {
      send(400, errorEnvelope(e));
    }
  };
}

export async function listenLocal(engine: Engine, socketPath: string): Promise<Server> {
  if (existsSync(socketPath)) unlinkSync(socketPath); // left by a killed engine; the daemon lock guarantees we are the only engine
  const server = createServer(requestListener(engine, false));
  server.keepAliveTimeout = 1000;
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
  const options = { cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.2' as const };
  const servers: Server[] = [];
  for (const host of addresses) {
    const server = createTlsServer(options, requestListener(engine, true));
    server.keepAliveTimeout = 1000;
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
