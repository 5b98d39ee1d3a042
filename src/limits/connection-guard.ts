// Connection limits of a listener: at most `max` open connections in all and
// `perSource` from one source address. A connection over its source's limit
// is closed at once, before a byte of it is read. When the listener as a
// whole is full, the oldest connection that has not proven anything yet
// (not marked trusted) is closed to make room, so a crowd of silent or slow
// connections from many addresses cannot lock a legitimate client out: a
// peer or an operator who sends a request at once is served before the
// attacker's next connections push it out. Only when every open connection
// is trusted is the newcomer refused.
import type { Server, Socket } from 'node:net';

export interface ConnectionGuardOptions {
  max: number;
  perSource: number;
  /** Told about every refused or evicted connection (the caller rate-limits its report). */
  onRefused?: (source: string, why: string) => void;
}

export class ConnectionGuard {
  private readonly bySource = new Map<string, number>();
  /** Open connections not (yet) trusted, oldest first. */
  private readonly untrusted = new Set<Socket>();
  private open = 0;
  refused = 0;

  constructor(private readonly options: ConnectionGuardOptions) {}

  /** Installs the guard on a listener ('connection' fires for the raw socket, before TLS and HTTP). */
  attach(server: Server): void {
    // Listeners run in order: ours is first, so a refused socket is closed before HTTP/TLS read it.
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
  }

  get openConnections(): number {
    return this.open;
  }

  /** The connection has authenticated (or is being served): it is never evicted to make room. */
  trust(socket: Socket): void {
    this.untrusted.delete(rawSocket(socket));
  }

  /** Back to evictable (a kept-alive connection waiting for its next request). */
  distrust(socket: Socket): void {
    const raw = rawSocket(socket);
    if (!raw.destroyed && this.tracked.has(raw)) this.untrusted.add(raw);
  }

  private readonly tracked = new WeakSet<Socket>();

  admit(socket: Socket): boolean {
    const source = socket.remoteAddress ?? 'local';
    const fromSource = this.bySource.get(source) ?? 0;
    if (socket.remoteAddress && fromSource >= this.options.perSource) return this.refuse(socket, source, `${fromSource} connections open from ${source} (limit ${this.options.perSource})`);
    if (this.open >= this.options.max) {
      const oldest = this.untrusted.values().next().value as Socket | undefined;
      if (!oldest) return this.refuse(socket, source, `${this.open} connections open, all serving requests (limit ${this.options.max})`);
      this.untrusted.delete(oldest);
      oldest.destroy();
      this.options.onRefused?.(oldest.remoteAddress ?? 'local', `closed to make room: the oldest of ${this.open} connections not yet authenticated (limit ${this.options.max})`);
      // Its 'close' handler gives the slot back; count it free now.
      this.open -= 1;
      this.release.set(oldest, true);
    }
    this.open += 1;
    this.bySource.set(source, fromSource + 1);
    this.tracked.add(socket);
    this.untrusted.add(socket);
    socket.once('close', () => {
      this.untrusted.delete(socket);
      if (!this.release.get(socket)) this.open -= 1;
      const n = (this.bySource.get(source) ?? 1) - 1;
      if (n <= 0) this.bySource.delete(source);
      else this.bySource.set(source, n);
    });
    return true;
  }

  /** Evicted sockets whose slot was already given back. */
  private readonly release = new WeakMap<Socket, boolean>();

  private refuse(socket: Socket, source: string, why: string): false {
    this.refused += 1;
    socket.destroy();
    this.options.onRefused?.(source, why);
    return false;
  }
}

/**
 * The TCP socket under a TLS socket (what the guard saw on 'connection').
 * Node keeps it as `_parent` on server-side TLS sockets; without it (another
 * Node version) the TLS socket is used, and a served connection merely stays
 * evictable.
 */
function rawSocket(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket })._parent ?? socket;
}
