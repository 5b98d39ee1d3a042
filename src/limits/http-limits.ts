// The limits of every HTTP listener of mccs (SECURITY.md): the engine's API
// (local socket and TLS), the metrics endpoint and the web console. Set
// before TLS or HTTP read a byte of a new connection.
import type { Server } from 'node:http';
import { ConnectionGuard } from './connection-guard.js';
import { limitValue } from './constants.js';

export interface ListenerLimits {
  /** Told about every refused or evicted connection (the caller rate-limits its report). */
  onRefused: (source: string, why: string) => void;
  /** Whole-request time limit; 0 for a listener that streams (the console's live updates). */
  requestTimeoutMs?: number;
  /**
   * A connection whose request headers are in is not evicted while it is
   * served. The engine's API marks it itself once the whole body is in.
   */
  trustOnRequest?: boolean;
}

export function limitHttpListener(server: Server, limits: ListenerLimits): ConnectionGuard {
  // The guard keeps API_MAX_CONNECTIONS (closing the oldest unproven connection to make
  // room); Node's own limit is only a backstop above it.
  server.maxConnections = 2 * limitValue('API_MAX_CONNECTIONS');
  server.headersTimeout = limitValue('API_HEADERS_TIMEOUT_MS');
  server.requestTimeout = limits.requestTimeoutMs ?? limitValue('API_REQUEST_TIMEOUT_MS');
  server.keepAliveTimeout = limitValue('API_IDLE_TIMEOUT_MS');
  server.maxRequestsPerSocket = 1000;
  const guard = new ConnectionGuard({ max: limitValue('API_MAX_CONNECTIONS'), perSource: limitValue('API_MAX_CONNECTIONS_PER_SOURCE'), onRefused: limits.onRefused });
  guard.attach(server);
  if (limits.trustOnRequest) {
    server.on('request', (req, res) => {
      guard.trust(req.socket);
      res.once('close', () => guard.distrust(req.socket));
    });
  }
  // No 'clientError' listener on purpose: Node then answers oversized headers 431, a request
  // past headersTimeout/requestTimeout 408, garbage 400, and closes the connection.
  return guard;
}

/** Options of every HTTP server of mccs. */
export const httpServerOptions = () => ({
  maxHeaderSize: limitValue('API_MAX_HEADER_BYTES'),
  // How often Node looks for requests past headersTimeout / requestTimeout (default 30 s).
  connectionsCheckingInterval: 1000,
});
