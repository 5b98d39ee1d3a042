// The engine log: one logfmt line per fact (log-format.ts), to stdout under
// systemd (journald) and to log/engine.log elsewhere (daemon.ts decides).
import { appendFileSync } from 'node:fs';
import { formatLogLine, type LogFields } from './log-format.js';
import { rotateWhenFull } from './log-rotation.js';
import { writeFailures } from './write-failures.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export class FileLogger implements Logger {
  private written = 0;
  /** Fields of every line (the daemon sets node once it knows which node this is). */
  readonly context: LogFields = {};

  constructor(
    private readonly path: string | undefined,
    private readonly toStdout = true,
    private readonly maxBytes = 10 * 1024 * 1024,
    private readonly backups = 3,
    private readonly minLevel: Level = process.env.MCCS_DEBUG ? 'debug' : 'info',
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  private write(level: Level, msg: string, fields?: LogFields): void {
    const order: Level[] = ['debug', 'info', 'warn', 'error'];
    if (order.indexOf(level) < order.indexOf(this.minLevel)) return;
    // One line per fact: a value from outside cannot break the line (log-format.ts, log-text.ts).
    const line = formatLogLine(new Date().toISOString(), level, msg, { ...this.context, ...fields });
    if (this.toStdout) process.stdout.write(line);
    if (!this.path) return;
    // Checking the size on every line would stat() on the hot path; every 200 lines is enough.
    if (++this.written % 200 === 0) this.rotate();
    try {
      appendFileSync(this.path, line);
    } catch (e) {
      // A full disk must not stop the engine from managing services.
      writeFailures.report('engine log', e);
    }
  }

  private rotate(): void {
    if (!this.path) return;
    try {
      rotateWhenFull(this.path, this.maxBytes, this.backups);
    } catch {
      // see write()
    }
  }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
