// The web console's HTTP(S) server: the page (static files bundled at build
// time), a small JSON API for it under /api/, and a live stream of server-sent
// events. It holds no cluster state of its own: everything comes from the
// engine through EngineLink (the API client), and every change goes back
// through it with the operator's credentials.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { limitValue } from '../limits/constants.js';
import { httpServerOptions, limitHttpListener } from '../limits/http-limits.js';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Envelope, EventRecord } from '../api/protocol.js';
import { MccsError } from '../model/errors.js';
import { declarationsView } from './declarations.js';
import type { EngineLink, LiveUpdate } from './engine-link.js';
import { LoginThrottle } from './login-throttle.js';
import { CHANGE_METHODS, CONFIG_METHODS, READ_METHODS } from './methods-allowed.js';
import { COOKIE, parseCookies, sameToken, sessionCookie, SessionStore, type Session } from './sessions.js';
import { whyChain } from './why.js';

/** dist/console/public, written by scripts/build-console.mjs. */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const MAX_BODY = 256 * 1024;
const STREAM_PING_MS = 15_000;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface ConsoleServerOptions {
  link: EngineLink;
  tls?: { cert: Buffer; key: Buffer };
  log?: (line: string) => void;
  publicDir?: string;
  now?: () => number;
}

export interface ConsoleHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  sessions: SessionStore;
  throttle: LoginThrottle;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createConsoleHandler(opts: ConsoleServerOptions): ConsoleHandler {
  const { link } = opts;
  const log = opts.log ?? (() => {});
  const secure = opts.tls !== undefined;
  const sessions = new SessionStore(opts.now);
  const throttle = new LoginThrottle(opts.now);
  const publicDir = opts.publicDir ?? PUBLIC_DIR;
  // Only the files the build wrote are served: no path from the request reaches the file system.
  const assets = new Map<string, { type: string; body: Buffer }>();
  try {
    for (const f of readdirSync(publicDir)) {
      if (MIME[extname(f)]) assets.set(f, { type: MIME[extname(f)]!, body: readFileSync(join(publicDir, f)) });
    }
  } catch (e) {
    log(`no page to serve: ${(e as Error).message} (run npm run build)`);
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  };
  const fail = (res: ServerResponse, e: HttpError) => send(res, e.status, { ok: false, error: { code: e.code, message: e.message, actions: [] } });

  const sessionOf = (req: IncomingMessage): Session | undefined => sessions.get(parseCookies(req.headers.cookie)[COOKIE]);
  const requireSession = (req: IncomingMessage): Session => {
    const s = sessionOf(req);
    if (!s) throw new HttpError(401, 'AUTH', 'not logged in (or the session expired): log in again');
    return s;
  };

  /**
   * A change must come from this console's own page: the browser's Origin (or
   * Sec-Fetch-Site) says so, and the CSRF token of the session is in a header
   * a cross-site form or script cannot set.
   */
  const requireSameOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    const host = req.headers.host;
    const site = req.headers['sec-fetch-site'];
    if (typeof origin === 'string' && origin !== 'null') {
      if (!host || origin !== `${secure ? 'https' : 'http'}://${host}`) throw new HttpError(403, 'AUTH', `cross-site request refused (Origin ${origin})`);
      return;
    }
    if (site === 'same-origin') return;
    throw new HttpError(403, 'AUTH', 'cross-site request refused (no Origin)');
  };
  const requireCsrf = (req: IncomingMessage, s: Session) => {
    const token = req.headers['x-csrf-token'];
    if (!sameToken(typeof token === 'string' ? token : undefined, s.csrf)) throw new HttpError(403, 'AUTH', 'missing or wrong CSRF token: reload the page');
  };

  const readJson = (req: IncomingMessage): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        reject(new HttpError(415, 'USAGE', 'send application/json'));
        return;
      }
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new HttpError(413, 'USAGE', 'request too large'));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        try {
          const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
          resolve(v as Record<string, unknown>);
        } catch {
          reject(new HttpError(400, 'USAGE', 'the request body is not a JSON object'));
        }
      });
      req.on('error', reject);
    });

  const engineEnvelope = (res: ServerResponse, env: Envelope) => send(res, env.ok ? 200 : statusOf(env.error.code), env);

  async function login(req: IncomingMessage, res: ServerResponse) {
    requireSameOrigin(req);
    const body = await readJson(req);
    const user = typeof body.user === 'string' ? body.user.slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const address = req.socket.remoteAddress ?? '?';
    if (user === '' || password === '') throw new HttpError(400, 'USAGE', 'give a user name and a password');
    const wait = throttle.waitMs(address, user);
    if (wait > 0) {
      log(`LOGIN_LOCKED user ${JSON.stringify(user)} from ${address}: ${Math.ceil(wait / 1000)} s`);
      throw new HttpError(429, 'AUTH', `too many failed logins: try again in ${Math.ceil(wait / 1000)} s`);
    }
    const who = await link.call('auth.whoami', {}, { user, password });
    if (!who.ok) {
      if (who.error.code !== 'AUTH') throw new HttpError(502, who.error.code, `the engine cannot check the login: ${who.error.message}`);
      const lock = throttle.failed(address, user);
      log(`LOGIN_FAILED user ${JSON.stringify(user)} from ${address}${lock ? ` (locked ${lock / 1000} s)` : ''}`);
      throw new HttpError(401, 'AUTH', 'wrong user or password');
    }
    throttle.succeeded(address, user);
    const s = sessions.create(who.result.name, who.result.role, password);
    log(`LOGIN_OK user ${JSON.stringify(s.user)} (${s.role}) from ${address}`);
    send(res, 200, { ok: true, result: { user: s.user, role: s.role, csrf: s.csrf } }, { 'set-cookie': sessionCookie(s.id, secure) });
  }

  async function call(req: IncomingMessage, res: ServerResponse, s: Session) {
    const body = await readJson(req);
    const method = typeof body.method === 'string' ? body.method : '';
    const params = (typeof body.params === 'object' && body.params !== null && !Array.isArray(body.params) ? body.params : {}) as Record<string, unknown>;
    if (READ_METHODS.has(method)) {
      engineEnvelope(res, await link.callAny(method, params));
      return;
    }
    if (!CHANGE_METHODS.has(method)) throw new HttpError(404, 'USAGE', `the console does not offer '${method}'`);
    if (s.role !== 'Administrator') throw new HttpError(403, 'AUTH', `user ${s.user} (role ${s.role}) may not run ${method}: Monitor sees everything and changes nothing`);
    const as = { user: s.user, password: s.password };
    const ifVersion = body.ifVersion;
    if (CONFIG_METHODS.has(method) && Number.isInteger(ifVersion)) {
      const env = await link.callAny(method, { ...params, ifVersion }, as);
      // Until every engine takes ifVersion: check ConfigVersion here, then send the change without it.
      if (!env.ok && env.error.code === 'USAGE' && /ifVersion/.test(env.error.message)) {
        const st = await link.call('cluster.status', {});
        if (st.ok && st.result.ConfigVersion !== ifVersion) {
          send(res, 409, {
            ok: false,
            error: { code: 'CONFLICT', message: `the configuration changed meanwhile: ConfigVersion is ${st.result.ConfigVersion}, the page showed ${String(ifVersion)}; nothing was changed`, actions: ['look at the current values and make the change again'] },
          });
          return;
        }
        engineEnvelope(res, await link.callAny(method, params, as));
        return;
      }
      engineEnvelope(res, env);
      return;
    }
    engineEnvelope(res, await link.callAny(method, params, as));
  }

  async function events(url: URL, res: ServerResponse) {
    const params: Record<string, unknown> = {};
    for (const k of ['group', 'resource', 'node', 'since', 'until']) {
      const v = url.searchParams.get(k);
      if (v) params[k] = v;
    }
    const limit = Number(url.searchParams.get('limit') ?? '500');
    params.limit = Number.isInteger(limit) && limit > 0 ? Math.min(limit, 5000) : 500;
    // Both nodes' logs: a console on either node shows the same events.
    params.all = true;
    engineEnvelope(res, await link.callAny('cluster.events', params));
  }

  async function why(url: URL, res: ServerResponse) {
    const subject = url.searchParams.get('subject') ?? '';
    const m = /^(group|resource):(.{1,128})$/.exec(subject);
    if (!m) throw new HttpError(400, 'USAGE', 'subject must be group:NAME or resource:NAME');
    let group = m[2]!;
    if (m[1] === 'resource') {
      const r = await link.call('res.list', { resource: m[2]! });
      if (!r.ok) return engineEnvelope(res, r);
      group = r.result[0]?.GroupName ?? group;
    }
    const ev = await link.call('cluster.events', { group, limit: 2000, all: true });
    if (!ev.ok) return engineEnvelope(res, ev);
    send(res, 200, { ok: true, changed: false, result: whyChain(ev.result as EventRecord[], subject) });
  }

  function stream(req: IncomingMessage, res: ServerResponse, s: Session) {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const write = (u: LiveUpdate) => {
      if (u.status) res.write(`event: status\ndata: ${JSON.stringify(u.status)}\n\n`);
      if (u.events?.length) res.write(`event: events\ndata: ${JSON.stringify(u.events)}\n\n`);
      if (u.engineError) res.write(`event: engine-error\ndata: ${JSON.stringify(u.engineError)}\n\n`);
    };
    res.write('retry: 1000\n\n');
    write(link.last);
    const off = link.subscribe(write);
    const ping = setInterval(() => {
      if (!sessions.peek(s.id)) {
        res.end();
        return;
      }
      res.write(': ping\n\n');
    }, STREAM_PING_MS);
    const close = () => {
      clearInterval(ping);
      off();
    };
    req.on('close', close);
    res.on('error', close);
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/') {
        res.writeHead(302, { ...SECURITY_HEADERS, location: '/main' });
        res.end();
        return;
      }
      if (path === '/main' || path === '/main/') return serveAsset(res, 'index.html');
      if (path.startsWith('/assets/')) return serveAsset(res, path.slice('/assets/'.length));
      if (path === '/api/session') {
        const s = requireSession(req);
        return send(res, 200, { ok: true, result: { user: s.user, role: s.role, csrf: s.csrf } });
      }
      if (path === '/api/declarations') {
        requireSession(req);
        return send(res, 200, { ok: true, result: declarationsView() });
      }
      if (path === '/api/status') {
        requireSession(req);
        if (!link.last.status) await link.refresh().catch(() => undefined);
        if (!link.last.status) throw new HttpError(502, link.last.engineError?.code ?? 'UNREACHABLE', link.last.engineError?.message ?? 'the engine did not answer');
        return send(res, 200, { ok: true, result: link.last.status, ...(link.last.engineError ? { engineError: link.last.engineError } : {}) });
      }
      if (path === '/api/events') {
        requireSession(req);
        return events(url, res);
      }
      if (path === '/api/why') {
        requireSession(req);
        return why(url, res);
      }
      if (path === '/api/stream') return stream(req, res, requireSession(req));
      throw new HttpError(404, 'NOT_FOUND', `nothing at ${path}: the console is at /main`);
    }
    if (req.method === 'POST') {
      if (path === '/api/login') return login(req, res);
      requireSameOrigin(req);
      const s = requireSession(req);
      requireCsrf(req, s);
      if (path === '/api/logout') {
        sessions.destroy(s.id);
        return send(res, 200, { ok: true, result: {} }, { 'set-cookie': sessionCookie('', secure, 0) });
      }
      if (path === '/api/call') return call(req, res, s);
      throw new HttpError(404, 'NOT_FOUND', `nothing at ${path}`);
    }
    throw new HttpError(405, 'USAGE', `method ${req.method} not allowed`);
  }

  function serveAsset(res: ServerResponse, name: string) {
    const a = assets.get(name);
    if (!a) throw new HttpError(404, 'NOT_FOUND', `no such file: ${name}`);
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': a.type, 'content-length': String(a.body.length), 'cache-control': name === 'index.html' ? 'no-store' : 'max-age=300' });
    res.end(a.body);
  }

  return {
    sessions,
    throttle,
    async handle(req, res) {
      try {
        await route(req, res);
      } catch (e) {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (e instanceof HttpError) return fail(res, e);
        if (e instanceof MccsError) return send(res, statusOf(e.code), { ok: false, error: e.toJSON() });
        log(`request ${req.method} ${req.url} failed: ${(e as Error).stack ?? String(e)}`);
        fail(res, new HttpError(500, 'FAILED', (e as Error).message));
      }
    },
  };
}

function statusOf(code: string): number {
  return ({ USAGE: 400, INVALID: 422, NOT_FOUND: 404, CONFLICT: 409, AUTH: 403, UNREACHABLE: 502, TIMEOUT: 504, FAILED: 500 } as Record<string, number>)[code] ?? 500;
}

/** Listens on every bind address; returns the servers that could listen (errors are logged and returned). */
export async function listenConsole(handler: ConsoleHandler, opts: { addresses: string[]; port: number; tls?: { cert: Buffer; key: Buffer }; onRefused?: (source: string, why: string) => void }): Promise<{ servers: Server[]; errors: string[] }> {
  const servers: Server[] = [];
  const errors: string[] = [];
  for (const host of opts.addresses) {
    const listener = (req: IncomingMessage, res: ServerResponse) => void handler.handle(req, res);
    const server = opts.tls ? createHttpsServer({ ...httpServerOptions(), cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2', handshakeTimeout: limitValue('API_TLS_HANDSHAKE_TIMEOUT_MS') }, listener) : createHttpServer(httpServerOptions(), listener);
    // The API's connection and header limits (SECURITY.md); no whole-request limit: the live stream stays open.
    limitHttpListener(server, { requestTimeoutMs: 0, trustOnRequest: true, onRefused: (source, why) => opts.onRefused?.(source, why) });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port: opts.port, ...(host === '::' ? { ipv6Only: false } : {}) }, () => resolve());
      });
      servers.push(server);
    } catch (e) {
      errors.push(`${host}:${opts.port}: ${(e as Error).message}`);
    }
  }
  return { servers, errors };
}
