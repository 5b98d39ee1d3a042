// Commands and configuration between nodes: TCP on HBPort+2, on every
// heartbeat address (so a command survives the loss of one link), one
// request/response per connection, every frame sealed with the cluster
// secret (AES-GCM; forged and replayed frames are refused and reported).
import { EventEmitter } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Opener, Sealer, type RejectCode } from './crypto.js';

const MAX_FRAME = 16 * 1024 * 1024;

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

export interface PeerChannelEvents {
  rejected: [info: { code: RejectCode | 'MALFORMED'; message: string; remote: string }];
}

/** Length-prefixed frames on a stream. */
function frameReader(socket: Socket, onFrame: (frame: Buffer) => void, onError: (e: Error) => void): void {
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (length > MAX_FRAME) {
        onError(new Error(`frame of ${length} bytes is too large`));
        socket.destroy();
        return;
      }
      if (buffer.length < 4 + length) return;
      const frame = buffer.subarray(4, 4 + length);
      buffer = buffer.subarray(4 + length);
      onFrame(frame);
    }
  });
}

function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
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

  async start(): Promise<void> {
    for (const address of this.options.listen) {
      const server = createServer((socket) => this.serve(socket));
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
    socket.setTimeout(60_000, () => socket.destroy());
    frameReader(
      socket,
      (raw) => {
        const opened = this.open(raw, remote);
        if (!opened) {
          socket.destroy();
          return;
        }
        const req = opened.message as PeerRequest;
        this.options
          .handler(opened.sender, req)
          .catch((e: Error): PeerResponse => ({ ok: false, error: { code: 'FAILED', message: e.message } }))
          .then((res) => {
            if (!socket.destroyed) socket.end(frame(this.sealer.seal(JSON.stringify(res))));
          });
      },
      () => socket.destroy(),
    );
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
      socket.on('connect', () => socket.write(frame(this.sealer.seal(JSON.stringify(req)))));
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (!answered) reject(new Error(`connection to ${address} closed without an answer`));
      });
      frameReader(
        socket,
        (raw) => {
          const opened = this.open(raw, address);
          answered = true;
          clearTimeout(timer);
          socket.end();
          if (!opened) reject(new Error(`answer from ${address} refused (not authentic)`));
          else resolve(opened.message as PeerResponse);
        },
        (e) => reject(e),
      );
    });
  }
}
