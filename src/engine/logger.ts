// The engine log: one line per fact, to stdout (journald) and log/engine.log.
import { appendFileSync, existsSync, renameSync, statSync } from 'node:fs';
import { escapeLogText } from './log-text.js';
import { writeFailures } from './write-failures.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export class FileLogger implements Logger {
  private written = 0;

  constructor(
    private readonly path: string | undefined,
    private readonly toStdout = true,
    private readonly maxBytes = 10 * 1024 * 1024,
    private readonly backups = 3,
    private readonly minLevel: Level = process.env.MCCS_DEBUG ? 'debug' : 'info',
  ) {}

  debug(msg: string): void {
    this.write('debug', msg);
  }
  info(msg: string): void {
    this.write('info', msg);
  }
  warn(msg: string): void {
    this.write('warn', msg);
  }
  error(msg: string): void {
    this.write('error', msg);
  }

  private write(level: Level, msg: string): void {
    const order: Level[] = ['debug', 'info', 'warn', 'error'];
    if (order.indexOf(level) < order.indexOf(this.minLevel)) return;
    // One line per fact: a value from outside cannot break the line (log-text.ts).
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${escapeLogText(msg)}\n`;
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
      if (statSync(this.path).size < this.maxBytes) return;
      for (let i = this.backups - 1; i >= 1; i--) {
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
    } catch {
      // see write()
    }
  }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
