// Crash discipline (issue 8): an unhandled rejection or exception in the
// engine process is logged with its stack and the process exits non-zero at
// once (status 70), so systemd restarts it and the new engine adopts the
// services. The handlers are the ones `mccs daemon` installs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mccs-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function crashWith(trigger: string): { status: number | null; log: string; stderr: string } {
  const log = join(dir, `${Math.random().toString(36).slice(2)}.log`);
  const script = `
    const { installCrashHandlers } = await import(${JSON.stringify(join(ROOT, 'dist/daemon/crash.js'))});
    const { FileLogger } = await import(${JSON.stringify(join(ROOT, 'dist/engine/logger.js'))});
    installCrashHandlers(new FileLogger(${JSON.stringify(log)}, false));
    function deepInTheEngine() { ${trigger} }
    setTimeout(deepInTheEngine, 10);
    setTimeout(() => { console.log('still alive'); process.exit(0); }, 5000);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // no log: the assertion below says so
  }
  return { status: r.status, log: text, stderr: r.stderr };
}

describe('crash discipline', () => {
  it('an unhandled promise rejection: logged with its stack, exit status 70', () => {
    const r = crashWith("Promise.reject(new Error('lost track of web-app'));");
    expect(r.status).toBe(70);
    expect(r.log).toMatch(/engine crash \(unhandled promise rejection\): Error: lost track of web-app/);
    expect(r.log).toMatch(/deepInTheEngine/);
    expect(r.stderr).toMatch(/lost track of web-app/);
  });

  it('an uncaught exception: logged with its stack, exit status 70', () => {
    const r = crashWith("throw new TypeError('cannot read state of undefined');");
    expect(r.status).toBe(70);
    expect(r.log).toMatch(/engine crash \(uncaught exception\): TypeError: cannot read state of undefined/);
    expect(r.log).toMatch(/services keep running/);
  });
});
