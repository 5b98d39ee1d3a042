// Issue 15 item 6: SIGHUP no longer ends the engine silently (exit 129): it
// is handled (log files re-opened, the engine keeps running) and logged;
// SIGTERM and SIGINT stop the engine only, each with one log line and one
// ENGINE_STOP event naming the signal.
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, waitFor, type Harness } from '../helpers/engine-harness.js';

function singleNode(h: Harness): void {
  h.writeConfig({
    ConfigVersion: 1,
    Cluster: { ClusterName: 'signals' },
    Nodes: [{ NodeName: 'n1', PrimaryHB: '127.0.0.1', StandAlone: true }],
    Groups: [],
  } as never);
}

describe('signals', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  const log = (x: Harness) => readFileSync(join(x.home, 'log/engine.log'), 'utf8');

  it('SIGHUP: logged, log files re-opened after rotation, the engine keeps running', async () => {
    h = createHarness({ node: 'n1' });
    singleNode(h);
    await h.start();
    renameSync(join(h.home, 'log/engine.log'), join(h.home, 'log/engine.log.1'));
    h.daemon!.kill('SIGHUP');
    await waitFor('the SIGHUP line in a fresh engine.log', () => {
      try {
        return log(h!).includes('SIGHUP received: log files re-opened; the engine keeps running');
      } catch {
        return false;
      }
    });
    h.daemon!.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.daemon!.exitCode).toBeNull();
    expect(h.daemon!.signalCode).toBeNull();
    expect((await h.rpc('cluster.status')).ok).toBe(true);
    expect(log(h).match(/SIGHUP received/g)).toHaveLength(2);
    expect(h.events().filter((e) => e.rule === 'ENGINE_STOP')).toHaveLength(0);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s: exit 0, one log line and one ENGINE_STOP naming the signal', async (signal) => {
    h = createHarness({ node: 'n1' });
    singleNode(h);
    await h.start();
    const exited = new Promise<number | null>((r) => h!.daemon!.once('exit', (code) => r(code)));
    h.daemon!.kill(signal);
    expect(await exited).toBe(0);
    expect(log(h).match(new RegExp(`${signal} received: stopping the engine only`, 'g'))).toHaveLength(1);
    const stops = h.events().filter((e) => e.rule === 'ENGINE_STOP');
    expect(stops).toHaveLength(1);
    expect(stops[0]!.cause).toBe(`engine stop (${signal})`);
  });
});
