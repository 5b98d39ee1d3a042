// Commands and configuration between nodes: TCP on HBPort+2, on every
// heartbeat address (so a command survives the loss of one link), one
// request/response per connection, every frame sealed with the cluster
// secret (AES-GCM; forged and replayed frames are refused and reported).
//
// Limits (SECURITY.md): the first frame of a connection may be at most
// PEER_MAX_UNAUTH_FRAME_BYTES, checked on its 4-byte length before it is read;
// a larger message is preceded by a small sealed announcement
// ({"largeFrame": true}), and only once that has been authenticated may the
// next frame be up to PEER_MAX_FRAME_BYTES. So nobody without the cluster key
// can make the engine buffer or decrypt more than 64 KiB. Connections are
// limited per listener and per source (limits/connection-guard.ts: a full
// listener closes its oldest connection that has not sent an authentic frame,
// so silent connections cannot lock the peer out), and the first frame must
// come within PEER_FIRST_FRAME_TIMEOUT_MS.
import { EventEmitter } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { ConnectionGuard } from '../limits/connection-guard.js';
import { limitValue } from '../limits/constants.js';
import { Opener, Sealer, type RejectCode } from './crypto.js';
import { frame, readFrames } from './frame-reader.js';

export interface PeerRequest {
  kind: string;
  body: unknown;
}

export type PeerResponse = { ok: true; body: unknown } | { ok: false; error: { code: string; message: string; actions?: string[] } };

export type RequestHandler = (from: string, request: PeerRequest) => Promise<PeerResponse>;

export interface PeerChannelOptions {
  secret: Buffer;
  clusterName: string;
  localNode: string;
  incarnation: Buffer;
  /** Own addresses to listen on (PrimaryHB, SecondaryHB). */
  listen: string[];
  port: number;
  handler: RequestHandler;
}

/** TOO_LARGE: a frame over the limit of the moment; LIMIT: a connection over the connection limits. */
export type PeerRejectCode = RejectCode | 'MALFORMED' | 'TOO_LARGE' | 'LIMIT';

export interface PeerChannelEvents {
  rejected: [info: { code: PeerRejectCode; message: string; remote: string }];
}

/** The authenticated announcement that lifts the frame limit for the next frame of the connection. */
const LARGE = { largeFrame: true };
const isLargeAnnouncement = (m: unknown): boolean => typeof m === 'object' && m !== null && (m as { largeFrame?: unknown }).largeFrame === true;

/** One message as frames: a large one is announced first (sealed, so only a cluster member can). */
function messageFrames(sealer: Sealer, message: unknown): Buffer[] {
  const payload = sealer.seal(JSON.stringify(message));
  if (payload.length <= limitValue('PEER_MAX_UNAUTH_FRAME_BYTES')) return [frame(payload)];
  // Sealed after the payload: the COMMAND channel's replay window accepts the one-step reorder.
  return [frame(sealer.seal(JSON.stringify(LARGE))), frame(payload)];
}

export class PeerChannel extends EventEmitter<PeerChannelEvents> {
  private readonly servers: Server[] = [];
  private readonly sealer: Sealer;
  private readonly opener: Opener;

  constructor(private readonly options: PeerChannelOptions) {
    super();
    this.sealer = new Sealer({ secret: options.secret, clusterName: options.clusterName, sender: options.localNode, channel: 'COMMAND', incarnation: options.incarnation });
    this.opener = new Opener(options.secret, options.clusterName);
  }

  private guard?: ConnectionGuard;

  async start(): Promise<void> {
    const guard = new ConnectionGuard({
      max: limitValue('PEER_MAX_CONNECTIONS'),
      perSource: limitValue('PEER_MAX_CONNECTIONS_PER_SOURCE'),
      onRefused: (source, why) => this.emit('rejected', { code: 'LIMIT', message: `connection refused: ${why}`, remote: source }),
    });
    this.guard = guard;
    for (const address of this.options.listen) {
      const server = createServer((socket) => this.serve(socket));
      guard.attach(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port: this.options.port }, () => resolve());
      });
      this.servers.push(server);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private open(raw: Buffer, remote: string): { sender: string; message: unknown } | undefined {
    const opened = this.opener.open(raw, 'COMMAND');
    if (!opened.ok) {
      this.emit('rejected', { code: opened.code, message: opened.message, remote });
      return undefined;
    }
    try {
      return { sender: opened.sender, message: JSON.parse(opened.payload.toString('utf8')) };
    } catch {
      this.emit('rejected', { code: 'MALFORMED', message: 'payload is not JSON', remote });
      return undefined;
    }
  }

  private serve(socket: Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(limitValue('PEER_FIRST_FRAME_TIMEOUT_MS'), () => socket.destroy());
    let large = false;
    let answered = false;
    readFrames(socket, {
      maxFrame: () => limitValue(large ? 'PEER_MAX_FRAME_BYTES' : 'PEER_MAX_UNAUTH_FRAME_BYTES'),
      onTooLarge: (length, limit) => this.emit('rejected', { code: 'TOO_LARGE', message: `frame of ${length} bytes refused before reading it (limit ${limit}${large ? '' : ' before authentication'})`, remote }),
      onFrame: (raw) => {
        const opened = answered ? undefined : this.open(raw, remote);
        if (!opened) {
          socket.destroy();
          return;
        }
        // Authentic: a member of the cluster; never closed to make room for newcomers.
        this.guard?.trust(socket);
        socket.setTimeout(limitValue('PEER_IDLE_TIMEOUT_MS'));
        if (isLargeAnnouncement(opened.message) && !large) {
          large = true;
          return;
        }
        // One request per connection.
        answered = true;
        large = false;
        const req = opened.message as PeerRequest;
        this.options
          .handler(opened.sender, req)
          .catch((e: Error): PeerResponse => ({ ok: false, error: { code: 'FAILED', message: e.message } }))
          .then((res) => {
            if (socket.destroyed) return;
            const frames = messageFrames(this.sealer, res);
            for (const f of frames.slice(0, -1)) socket.write(f);
            socket.end(frames[frames.length - 1]);
          });
      },
    });
  }

  /** Sends one request to the first address that answers; throws when none does. */
  async request(addresses: string[], req: PeerRequest, timeoutMs = 10_000): Promise<PeerResponse> {
    let lastError: Error | undefined;
    for (const address of addresses) {
      try {
        return await this.requestOne(address, req, timeoutMs);
      } catch (e) {
        lastError = e as Error;
      }
    }
    throw lastError ?? new Error('no address to reach the peer');
  }

  private requestOne(address: string, req: PeerRequest, timeoutMs: number): Promise<PeerResponse> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: address, port: this.options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer from ${address}:${this.options.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.setNoDelay(true);
      let answered = false;
      socket.on('connect', () => {
        for (const f of messageFrames(this.sealer, req)) socket.write(f);
      });
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (!answered) reject(new Error(`connection to ${address} closed without an answer`));
      });
      let large = false;
      readFrames(socket, {
        maxFrame: () => limitValue(large ? 'PEER_MAX_FRAME_BYTES' : 'PEER_MAX_UNAUTH_FRAME_BYTES'),
        onTooLarge: (length, limit) => {
          clearTimeout(timer);
          reject(new Error(`answer from ${address} refused: frame of ${length} bytes over the limit ${limit}`));
        },
        onFrame: (raw) => {
          if (answered) return;
          const opened = this.open(raw, address);
          if (opened && isLargeAnnouncement(opened.message) && !large) {
            large = true;
            return;
          }
          answered = true;
          clearTimeout(timer);
          socket.end();
          if (!opened) reject(new Error(`answer from ${address} refused (not authentic)`));
          else resolve(opened.message as PeerResponse);
        },
      });
    });
  }
}
