// The Prometheus endpoint of one engine: GET /metrics in the text format on
// MetricsAddress:MetricsPort (cluster attributes; a node's MetricsAddress
// overrides). Off while MetricsPort is 0. A configuration change (modify,
// or a newer version from the peer) moves or stops the listener.
import { createServer, type Server } from 'node:http';
import { Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { EventRecord } from '../api/protocol.js';
import type { Engine } from '../engine/engine.js';
import { rejectionLimiter } from '../engine/rejections.js';
import { httpServerOptions, limitHttpListener } from '../limits/http-limits.js';
import { registerEventCounters } from './event-counters.js';
import { registerLoadGauges } from './load-gauges.js';
import { registerStateGauges, type MembershipSource, type WitnessSource } from './state-gauges.js';

export interface MetricsEndpoint {
  /** "address:port" while listening, else null. */
  readonly listening: string | null;
  registry: Registry;
  close(): Promise<void>;
}

export function metricsBinding(engine: Engine): { address: string; port: number } | null {
  const port = Number(engine.config.Cluster.MetricsPort ?? 0);
  if (!Number.isInteger(port) || port <= 0) return null;
  const node = engine.config.Nodes.find((n) => n.NodeName === engine.localNode);
  const address = (typeof node?.MetricsAddress === 'string' && node.MetricsAddress) || (typeof engine.config.Cluster.MetricsAddress === 'string' && engine.config.Cluster.MetricsAddress) || '127.0.0.1';
  return { address, port };
}

export async function startMetrics(engine: Engine, membership?: MembershipSource, witness?: WitnessSource): Promise<MetricsEndpoint> {
  const registry = new Registry();
  registry.setDefaultLabels({ cluster: String(engine.config.Cluster.ClusterName), instance_node: engine.localNode });
  collectDefaultMetrics({ register: registry, prefix: 'mccs_process_' });
  new Gauge({ name: 'mccs_info', help: 'This engine: its node name (always 1).', labelNames: ['node'], registers: [registry], collect() { this.set({ node: engine.localNode }, 1); } });
  registerStateGauges(registry, engine, membership, witness);
  registerLoadGauges(registry, engine);
  const detach = registerEventCounters(registry, engine);

  let server: Server | undefined;
  let bound: string | null = null;
  let closed = false;
  // Serialized: two config changes in a row rebind once after the other.
  let chain = Promise.resolve();

  const serve = (): Server => {
    const s = createServer(httpServerOptions(), (req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
        res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' }).end('mccs metrics: GET /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${e.message}\n`),
      );
    });
    // Unauthenticated: the same connection, header and time limits as the API (SECURITY.md).
    limitHttpListener(s, {
      trustOnRequest: true,
      onRefused: (source, why) => {
        if (rejectionLimiter(engine).admit('connection refused (metrics)')) engine.log.warn(`metrics: refused a connection from ${source}: ${why}`);
      },
    });
    return s;
  };

  const stopServer = async (): Promise<void> => {
    const s = server;
    server = undefined;
    bound = null;
    if (!s) return;
    await new Promise<void>((r) => s.close(() => r()));
    s.closeAllConnections?.();
  };

  const apply = async (): Promise<void> => {
    if (closed) return;
    const want = metricsBinding(engine);
    const key = want ? `${want.address.includes(':') ? `[${want.address}]` : want.address}:${want.port}` : null;
    if (key === bound) return;
    await stopServer();
    if (!want) {
      engine.log.info('metrics endpoint off (MetricsPort 0)');
      return;
    }
    const s = serve();
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(want.port, want.address, () => {
          s.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      // The engine keeps managing services without metrics; the operator sees why.
      engine.log.error(`metrics endpoint cannot listen on ${key}: ${(e as Error).message}`);
      engine.record({ subject: 'cluster', cause: 'metrics', rule: 'METRICS_LISTEN_FAILED', message: `metrics endpoint cannot listen on ${key}: ${(e as Error).message}`, facts: { address: want.address, port: want.port } });
      return;
    }
    server = s;
    bound = key;
    engine.log.info(`metrics endpoint on http://${key}/metrics`);
  };

  const onEvent = (e: EventRecord): void => {
    if (e.rule === 'CONFIG_CHANGED' || e.rule === 'CONFIG_CHANGED_ALONE' || e.rule === 'CONFIG_ADOPTED') chain = chain.then(apply, apply);
  };
  engine.events.on('event', onEvent);
  chain = chain.then(apply);
  await chain;

  return {
    get listening() {
      return bound;
    },
    registry,
    close: async () => {
      closed = true;
      engine.events.off('event', onEvent);
      detach();
      await chain.catch(() => undefined);
      await stopServer();
    },
  };
}
