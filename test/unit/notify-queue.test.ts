// The notification queue: in order, one at a time, retried with back-off,
// bounded (the oldest waiting one is dropped and logged), and push() never
// waits for a receiver.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverToProgram } from '../../src/notify/delivery.js';
import { DeliveryQueue } from '../../src/notify/delivery-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DeliveryQueue', () => {
  it('delivers in push order, retrying a failed one before the next, and logs each failure', async () => {
    const got: string[] = [];
    const logs: string[] = [];
    let failures = 2;
    const q = new DeliveryQueue({
      name: 't',
      backoffMs: 5,
      log: (level, m) => logs.push(`${level} ${m}`),
      deliver: async (body) => {
        if (body === 'a' && failures-- > 0) throw new Error('receiver down');
        got.push(body);
      },
    });
    for (const b of ['a', 'b', 'c']) q.push(b, b);
    await q.drain(2000);
    expect(got).toEqual(['a', 'b', 'c']);
    expect(q.failedAttempts).toBe(2);
    expect(logs.filter((l) => l.startsWith('warn'))).toHaveLength(2);
    expect(logs.some((l) => l.includes('attempt 1 failed: receiver down; retry in 5 ms'))).toBe(true);
  });

  it('gives a notification up after its attempts (logged) and goes on with the next', async () => {
    const got: string[] = [];
    const logs: string[] = [];
    const q = new DeliveryQueue({ name: 't', attempts: 3, backoffMs: 1, log: (l, m) => logs.push(`${l} ${m}`), deliver: async (b) => {
      if (b === 'bad') throw new Error('HTTP 500');
      got.push(b);
    } });
    q.push('bad', 'bad');
    q.push('good', 'good');
    await q.drain(2000);
    expect(got).toEqual(['good']);
    expect(logs.some((l) => l.startsWith('error') && l.includes('given up after 3 attempts: HTTP 500'))).toBe(true);
  });

  it('push() returns at once while a receiver hangs, and the queue stays bounded', async () => {
    const logs: string[] = [];
    const q = new DeliveryQueue({ name: 't', limit: 3, log: (l, m) => logs.push(`${l} ${m}`), deliver: () => new Promise(() => undefined) });
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) q.push(String(i), `#${i}`);
    expect(performance.now() - t0).toBeLessThan(50);
    await sleep(10);
    // #0 is in flight (hanging); the waiting ones are capped at 3 with the oldest dropped.
    expect(q.length).toBeLessThanOrEqual(4);
    expect(q.dropped).toBeGreaterThanOrEqual(6);
    expect(logs.filter((l) => l.includes('queue full')).length).toBe(q.dropped);
    q.close();
  });

  it('close() kills a notify program still running (the engine stops: nothing is left behind)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mccs-notify-close-'));
    const script = join(dir, 'hang.sh');
    writeFileSync(script, `#!/bin/sh\necho $$ > ${dir}/pid\nexec sleep 30\n`, { mode: 0o755 });
    const q = new DeliveryQueue({ name: 't', log: () => undefined, deliver: (b, signal) => deliverToProgram(script, b, {}, 60_000, signal) });
    q.push('{}', '#1');
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      await sleep(20);
      try {
        pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      } catch {
        // not yet
      }
    }
    expect(pid).toBeGreaterThan(0);
    q.close();
    const alive = () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return !'ZX'.includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(); i++) await sleep(20);
    expect(alive()).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
