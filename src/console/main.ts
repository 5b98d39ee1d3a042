// `mccs console`: the web console of this node, a process of its own. It
// reaches the engine only through the API (local socket as root by default,
// or the remote TLS API with --host), so a fault here never touches the engine.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { resolveConnection, type Connection } from '../api/client.js';
import { clusterAttributes } from '../model/attributes.js';
import { MccsError } from '../model/errors.js';
import { homePaths } from '../model/home.js';
import { EngineLink } from './engine-link.js';
import { createConsoleHandler, listenConsole } from './server.js';

export interface ConsoleOptions {
  home: string;
  /** Addresses to listen on; default every address of the node. */
  bind?: string[];
  /** Default: the cluster attribute ConsolePort (10080). */
  port?: number;
  /** HTTPS with config/tls/node.crt (default true). */
  tls: boolean;
  /** Remote engine API instead of the local socket ("addr[:port]"; credentials and pinned fingerprint as for the CLI). */
  engineHost?: string;
  log?: (line: string) => void;
}

export interface RunningConsole {
  url: string;
  port: number;
  servers: Server[];
  link: EngineLink;
  close(): Promise<void>;
}

const DEFAULT_PORT = clusterAttributes.find((d) => d.name === 'ConsolePort')!.default as number;

/** ConsolePort from the engine, else from main.json on disk (engine down at start), else the default. */
async function consolePort(link: EngineLink, home: string): Promise<number> {
  try {
    const st = await link.call('cluster.status', {});
    const p = st.ok ? (st.result as { attributes?: Record<string, unknown> }).attributes?.ConsolePort : undefined;
    if (typeof p === 'number') return p;
  } catch {
    // engine not reachable yet
  }
  try {
    const cfg = JSON.parse(readFileSync(homePaths(home).mainJson, 'utf8')) as { Cluster?: { ConsolePort?: unknown } };
    if (typeof cfg.Cluster?.ConsolePort === 'number') return cfg.Cluster.ConsolePort;
  } catch {
    // no main.json: the default
  }
  return DEFAULT_PORT;
}

export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
  const paths = homePaths(opts.home);
  const connection: Connection = opts.engineHost
    ? { ...resolveConnection({ host: opts.engineHost }, { ...process.env, MCCS_HOME: opts.home }), timeoutMs: 150_000 }
    : { socketPath: paths.socket, timeoutMs: 150_000 };
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (opts.tls) {
    const cert = join(paths.tlsDir, 'node.crt');
    const key = join(paths.tlsDir, 'node.key');
    if (!existsSync(cert) || !existsSync(key)) {
      throw new MccsError('INVALID', `no certificate for HTTPS: ${cert} and ${key} are needed`, ['mccs init creates them', 'or run the console without TLS: mccs console --no-tls (see README: what plain HTTP exposes)']);
    }
    tls = { cert: readFileSync(cert), key: readFileSync(key) };
  }
  const link = new EngineLink(connection, log);
  const port = opts.port ?? (await consolePort(link, opts.home));
  const handler = createConsoleHandler({ link, tls, log });
  let addresses = opts.bind && opts.bind.length > 0 ? opts.bind : ['::'];
  // One line a minute at most about refused connections, however many there are.
  let lastRefusal = 0;
  const onRefused = (source: string, why: string) => {
    if (Date.now() - lastRefusal < 60_000) return;
    lastRefusal = Date.now();
    log(`refused a connection from ${source}: ${why} (more refusals in the next minute are not logged)`);
  };
  let { servers, errors } = await listenConsole(handler, { addresses, port, tls, onRefused });
  if (servers.length === 0 && !opts.bind?.length) {
    // A host without IPv6: every IPv4 address.
    addresses = ['0.0.0.0'];
    ({ servers, errors } = await listenConsole(handler, { addresses, port, tls, onRefused }));
  }
  for (const e of errors) log(`cannot listen on ${e}`);
  if (servers.length === 0) throw new MccsError('FAILED', `the console cannot listen: ${errors.join('; ')}`, [`is port ${port} in use? ss -ltnp 'sport = :${port}'`, 'choose another: mccluster modify ConsolePort=PORT, or mccs console --port PORT']);
  link.start();
  const shown = addresses[0] === '::' || addresses[0] === '0.0.0.0' ? 'NODE' : addresses[0]!.includes(':') ? `[${addresses[0]}]` : addresses[0]!;
  const url = `${tls ? 'https' : 'http'}://${shown}:${port}/main`;
  log(`console listening on ${addresses.map((a) => `${a.includes(':') ? `[${a}]` : a}:${port}`).join(', ')} (${tls ? 'HTTPS' : 'plain HTTP: passwords and session cookies cross the network in clear'}); open ${url}`);
  log(`engine: ${opts.engineHost ? `remote API ${opts.engineHost}` : `local socket ${paths.socket}`}`);
  return {
    url,
    port,
    servers,
    link,
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      );
      await link.stop();
    },
  };
}
