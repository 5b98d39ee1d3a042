// The API client: POST /v1/rpc over HTTP on the local unix socket, or over
// HTTPS to a remote node's engine whose certificate is pinned by fingerprint.
//
// callApi returns the engine's envelope as is (the CLI prints it verbatim under
// --json); it throws MccsError only when no envelope could be had: engine
// unreachable (7), socket permission or TLS trust (6), a garbled answer (1).
// It is the one client: the CLI, the console, `mccs init --join`, the tests
// (test/helpers/engine-harness.ts) and the benches (dist/api/client.js) all
// call the engine through it.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { API_PATH, type Envelope, type MethodName, type Methods } from './protocol.js';
import { MccsError } from '../model/errors.js';
import { homePaths, mccsHome } from '../model/home.js';

/** Remote API port: HBPort + 3 (SPEC §3: four consecutive ports from HBPort 14321). */
export const DEFAULT_API_PORT = 14324;

export interface Connection {
  /** Local engine socket; default $MCCS_HOME/run/mccs.sock. Ignored when host is set. */
  socketPath?: string;
  /** Remote engine: "addr", "addr:port", "[v6addr]:port". */
  host?: string;
  user?: string;
  password?: string;
  /** Remote only: the pinned SHA-256 fingerprint of the engine's certificate. */
  fingerprint?: string;
  /** Client-side limit for the whole request (default 120 s). */
  timeoutMs?: number;
  /** Remote without user and password: the call carries its own proof (cluster.join's one-time token). */
  anonymous?: boolean;
}

/** What a client profile (src/cli/profiles.ts) contributes, its password already read. */
export interface ProfileConnection {
  host?: string;
  user?: string;
  fingerprint?: string;
  password?: string;
}

/**
 * The connection for the given flags: credentials from the flags, else
 * MCCS_USER/MCCS_PASSWORD (and MCCS_TLS_FINGERPRINT), else the selected
 * profile (`--profile`/MCCS_PROFILE; passwords stay out of ps either way).
 */
export function resolveConnection(
  flags: { user?: string; password?: string; host?: string },
  env: NodeJS.ProcessEnv = process.env,
  profile?: ProfileConnection,
): Connection {
  const conn: Connection = {};
  const host = flags.host ?? profile?.host;
  if (host) conn.host = host;
  else conn.socketPath = env.MCCS_SOCKET || homePaths(mccsHome(env)).socket;
  let user = flags.user ?? (env.MCCS_USER || undefined);
  let password = flags.password ?? (env.MCCS_PASSWORD || undefined);
  // The profile's pin is for the profile's host only.
  const pinned = profile?.fingerprint && (!flags.host || (profile.host && splitHost(flags.host).host === splitHost(profile.host).host)) ? profile.fingerprint : undefined;
  const fingerprint = env.MCCS_TLS_FINGERPRINT || pinned || undefined;
  if (profile) {
    if (user === undefined) user = profile.user;
    if (password === undefined && user === profile.user) password = profile.password;
  }
  if (user !== undefined) conn.user = user;
  if (password !== undefined) conn.password = password;
  if (fingerprint !== undefined) conn.fingerprint = fingerprint;
  return conn;
}

export function splitHost(host: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : DEFAULT_API_PORT };
  const parts = host.split(':');
  if (parts.length === 2 && /^\d+$/.test(parts[1])) return { host: parts[0], port: Number(parts[1]) };
  return { host, port: DEFAULT_API_PORT };
}

/** "AB:CD:…", "sha256:abcd…", "SHA256/abcd" → "abcd…". */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/^sha-?256[:/]/i, '').replace(/:/g, '').toLowerCase();
}

export async function callApi<M extends MethodName>(
  method: M,
  params: Methods[M]['params'],
  conn: Connection = resolveConnection({}),
): Promise<Envelope<Methods[M]['result']>> {
  const body = JSON.stringify({
    method,
    params,
    ...(conn.user !== undefined ? { user: conn.user } : {}),
    ...(conn.password !== undefined ? { password: conn.password } : {}),
  });
  const timeoutMs = conn.timeoutMs ?? 120_000;
  const where = conn.host ? `${conn.host}` : (conn.socketPath ?? homePaths().socket);
  if (conn.host && !conn.anonymous && (conn.user === undefined || conn.password === undefined)) {
    const { host } = splitHost(conn.host);
    throw new MccsError('AUTH', `remote access to ${host} needs credentials`, [
      'give -u USER and set MCCS_PASSWORD, or store a profile: mccs login NAME --host ' + host + ' -u USER, then --profile NAME',
    ]);
  }
  const socket = conn.host ? await connectPinned(conn, timeoutMs) : netConnect(conn.socketPath ?? homePaths().socket);
  const { status, text } = await post(socket, body, timeoutMs, where, conn);
  return parseEnvelope(text, status, where) as Envelope<Methods[M]['result']>;
}

function post(socket: Socket, body: string, timeoutMs: number, where: string, conn: Connection): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        createConnection: () => socket,
        method: 'POST',
        path: API_PATH,
        host: conn.host ? splitHost(conn.host).host : 'localhost',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => reject(transportError(e, where, conn)));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new MccsError('UNREACHABLE', `the engine at ${where} did not answer within ${Math.round(timeoutMs / 1000)} s`, [
        'check the engine: systemctl status mccs; journalctl -u mccs',
      ]));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(transportError(e, where, conn));
    });
    req.end(body);
  });
}

function transportError(e: Error, where: string, conn: Connection): MccsError {
  if (e instanceof MccsError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (conn.host) {
    return new MccsError('UNREACHABLE', `cannot reach the engine at ${where}: ${code ?? e.message}`, [
      `check that mccs runs on ${splitHost(conn.host).host} and that TCP port ${splitHost(conn.host).port} is open`,
    ]);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new MccsError('AUTH', `only root can use the local socket ${where}`, ['run the command as root (sudo)', 'or use --host ADDRESS with credentials']);
  }
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new MccsError('UNREACHABLE', `the engine is not running (no answer on ${where})`, [
      'start the engine: systemctl start mccs',
      'or run it in the foreground: mccs daemon',
      'MCCS_HOME selects another engine (default /opt/mccs)',
    ]);
  }
  return new MccsError('UNREACHABLE', `cannot talk to the engine on ${where}: ${code ?? e.message}`, ['check the engine: systemctl status mccs']);
}

function parseEnvelope(text: string, status: number, where: string): Envelope {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    if (status === 401 || status === 403) throw new MccsError('AUTH', `the engine at ${where} refused the request (HTTP ${status})`);
    throw new MccsError('FAILED', `the engine at ${where} sent an answer that is not JSON (HTTP ${status})`, ['check the engine log: $MCCS_HOME/log/engine.log']);
  }
  const o = v as Record<string, unknown>;
  if (typeof o === 'object' && o !== null && o.ok === true && typeof o.changed === 'boolean' && 'result' in o) return o as Envelope;
  if (typeof o === 'object' && o !== null && o.ok === false && typeof o.error === 'object' && o.error !== null) {
    const err = o.error as Record<string, unknown>;
    if (typeof err.code === 'string' && typeof err.message === 'string') {
      return { ok: false, error: { ...(err as { code: never; message: string }), actions: Array.isArray(err.actions) ? (err.actions as string[]) : [] } };
    }
  }
  throw new MccsError('FAILED', `the engine at ${where} sent an answer that is not an envelope (HTTP ${status})`, ['client and engine versions may differ: mccs --version']);
}

/**
 * A TLS socket to `conn.host` whose peer certificate matched the pinned
 * fingerprint (checked on the handshake, before a byte of the request is
 * written), or a thrown AUTH error (details.fingerprint: what the peer
 * presented) or UNREACHABLE.
 */
export async function connectPinned(conn: Connection, timeoutMs: number): Promise<Socket> {
  const { connect } = await import('node:tls');
  const { host, port } = splitHost(conn.host as string);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, servername: /^[\d.:]+$/.test(host) ? undefined : host });
    const timer = setTimeout(() => socket.destroy(new Error('ETIMEDOUT')), Math.min(timeoutMs, 10_000));
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(transportError(e, `${host}:${port}`, conn));
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const seen = socket.getPeerCertificate()?.fingerprint256 ?? '';
      if (!conn.fingerprint) {
        socket.destroy();
        reject(
          new MccsError('AUTH', `no pinned certificate for ${host}: its engine presents SHA-256 fingerprint ${seen}`, [
            `compare it on ${host} (openssl x509 -noout -fingerprint -sha256 -in the certificate under $MCCS_HOME/config/tls/), then pin it: mccs login NAME --host ${host} --fingerprint ${seen}`,
            'or set MCCS_TLS_FINGERPRINT',
          ], { fingerprint: seen }),
        );
        return;
      }
      if (normalizeFingerprint(seen) !== normalizeFingerprint(conn.fingerprint)) {
        socket.destroy();
        reject(new MccsError('AUTH', `the certificate of ${host} does not match the pinned fingerprint (got ${seen})`, [
          'if the node was reinstalled, pin its new fingerprint; otherwise someone may be in the middle',
        ], { fingerprint: seen }));
        return;
      }
      resolve(socket);
    });
  });
}
