// Connection limits of a listener: at most `max` open connections in all and
// `perSource` from one source address. A connection over either limit is
// closed at once, before a byte of it is read.
import type { Server } from 'node:net';
import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  max: number;
  perSource: number;
  /** Told about every refused connection (the caller rate-limits its report). */
  onRefused?: (source: string, why: string) => void;
}

export class ConnectionGuard {
  private readonly bySource = new Map<string, number>();
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

  admit(socket: Socket): boolean {
    const source = socket.remoteAddress ?? 'local';
    const fromSource = this.bySource.get(source) ?? 0;
    const why = this.open >= this.options.max ? `${this.open} connections open (limit ${this.options.max})` : socket.remoteAddress && fromSource >= this.options.perSource ? `${fromSource} connections open from ${source} (limit ${this.options.perSource})` : undefined;
    if (why) {
      this.refused += 1;
      socket.destroy();
      this.options.onRefused?.(source, why);
      return false;
    }
    this.open += 1;
    this.bySource.set(source, fromSource + 1);
    socket.once('close', () => {
      this.open -= 1;
      const n = (this.bySource.get(source) ?? 1) - 1;
      if (n <= 0) this.bySource.delete(source);
      else this.bySource.set(source, n);
    });
    return true;
  }
}
