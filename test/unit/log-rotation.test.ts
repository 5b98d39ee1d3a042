// The engine log and the event log rotate by one rule (src/engine/log-rotation.ts):
// FILE → FILE.1 → … → FILE.N once FILE is full; the oldest is dropped.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/engine/event-log.js';
import { rotateWhenFull } from '../../src/engine/log-rotation.js';
import { FileLogger } from '../../src/engine/logger.js';

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mccs-rotation-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('log rotation', () => {
  it('leaves a file below the size alone, and a missing file too', () => {
    const f = join(dir(), 'engine.log');
    expect(rotateWhenFull(f, 10, 3)).toBe(false);
    writeFileSync(f, 'short');
    expect(rotateWhenFull(f, 10, 3)).toBe(false);
    expect(readFileSync(f, 'utf8')).toBe('short');
  });

  it('shifts FILE.1 … FILE.N and drops the oldest', () => {
    const f = join(dir(), 'engine.log');
    for (const gen of ['a', 'b', 'c', 'd']) {
      writeFileSync(f, gen.repeat(10));
      expect(rotateWhenFull(f, 10, 2)).toBe(true);
    }
    expect(existsSync(f)).toBe(false);
    expect(readFileSync(`${f}.1`, 'utf8')).toBe('d'.repeat(10));
    expect(readFileSync(`${f}.2`, 'utf8')).toBe('c'.repeat(10));
    expect(existsSync(`${f}.3`)).toBe(false);
  });

  it('with no backups kept, starts the file afresh', () => {
    const f = join(dir(), 'events.jsonl');
    writeFileSync(f, 'x'.repeat(20));
    expect(rotateWhenFull(f, 10, 0)).toBe(true);
    expect(existsSync(f)).toBe(false);
    expect(existsSync(`${f}.1`)).toBe(false);
  });

  it('the event log and the engine log both rotate by it', () => {
    const d = dir();
    const events = new EventLog(join(d, 'events.jsonl'), 'n1', 200, 2);
    for (let i = 0; i < 20; i++) events.write({ kind: 'TEST', message: `event ${i}` } as never);
    expect(existsSync(join(d, 'events.jsonl.1'))).toBe(true);
    expect(events.read().map((e) => e.message)).toContain('event 19');
    const log = new FileLogger(join(d, 'engine.log'), false, 1000, 1);
    for (let i = 0; i < 400; i++) log.info(`line ${i}`);
    expect(existsSync(join(d, 'engine.log.1'))).toBe(true);
    expect(existsSync(join(d, 'engine.log.2'))).toBe(false);
  });
});
