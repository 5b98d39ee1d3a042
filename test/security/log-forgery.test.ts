// Issue 15 item 4: nobody can forge a line of engine.log. Every value from
// outside is escaped (control characters, line breaks) in the text log and
// in `mccluster events`; the event log stays JSON. Tried as in the report:
// cluster.join with a node name holding a newline (no credentials needed),
// a user name with a newline, and an attribute value with one.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeLogText } from '../../src/engine/log-text.js';
import { FileLogger } from '../../src/engine/logger.js';
import { makeHome, ROOT, rpcAt } from '../helpers/engine-harness.js';
import { startTarget, type TargetNode } from '../helpers/security-node.js';
import { readFileSync, rmSync } from 'node:fs';

const FORGED = '2026-01-01T00:00:00.000Z INFO  event NODE_STATE node:n2 -> FAULTED: FORGED';
/** Every line of engine.log is one the engine wrote: a time stamp and a level first. */
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) /;

describe('escapeLogText', () => {
  it('escapes line breaks, every control character and the Unicode line separators; keeps the rest', () => {
    expect(escapeLogText(`a\nb\r\tc\u0000\u001b[31m\u007f\u0085\u2028\u2029`)).toBe('a\\nb\\r\\tc\\u0000\\u001b[31m\\u007f\\u0085\\u2028\\u2029');
    expect(escapeLogText('node1 → FAULTED: ünïcode, "quotes", back\\slash')).toBe('node1 → FAULTED: ünïcode, "quotes", back\\slash');
  });

  it('FileLogger writes one line per call, whatever the message holds', () => {
    const home = makeHome('mccs-logtext-');
    const path = join(home, 'log/engine.log');
    const log = new FileLogger(path, false);
    log.info(`peer said: x\n${FORGED}\r\n`);
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(LINE);
    rmSync(home, { recursive: true, force: true });
  });
});

describe('forged log lines on a real engine (127.0.0.181)', () => {
  let node: TargetNode;
  beforeAll(async () => {
    node = await startTarget({ address: '127.0.0.181', peerAddress: '127.0.0.182', hbPort: 28341 });
  });
  afterAll(async () => {
    await node?.cleanup();
  });

  it('cluster.join refuses a node name that is not a name (before it reaches any message)', async () => {
    const r = await node.remote({ method: 'cluster.join', params: { token: 'x', node: `n2\n${FORGED}` } });
    expect(r.envelope.error.code).toBe('USAGE');
    expect(r.envelope.error.message).toMatch(/bad request for cluster\.join: \/node must match pattern/);
  });

  it('a user name or a method name with a newline lands escaped in engine.log and as JSON in the event log', async () => {
    await node.remote({ method: 'cluster.status', params: {}, user: `mallory\n${FORGED}`, password: 'x' });
    await node.remote({ method: 'cluster.join', params: { token: `t\n${FORGED}` } });
    const log = node.engineLog();
    expect(log).toContain('FORGED');
    for (const line of log.split('\n').filter(Boolean)) expect(line).toMatch(LINE);
    const events = node.eventsText().split('\n').filter(Boolean);
    for (const e of events) expect(() => JSON.parse(e)).not.toThrow();
    expect(events.some((e) => JSON.parse(e).facts?.user === `mallory\n${FORGED}`)).toBe(true);
  });

  it('an attribute value with a newline (accepted as data) never starts a line of its own', async () => {
    const r = await rpcAt(node.socket, 'node.modify', { node: 'n1', attributes: { ExpirationDate: `2030-01-01\n${FORGED}` } });
    expect(r.ok).toBe(true);
    await rpcAt(node.socket, 'node.modify', { node: 'n1', attributes: { License: `\u001b[2J\u001b[H${FORGED}` } });
    for (const line of node.engineLog().split('\n').filter(Boolean)) expect(line).toMatch(LINE);
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin/mccluster.js'), 'events', '--limit', '50'], { env: { ...process.env, MCCS_HOME: node.home }, encoding: 'utf8' });
    expect(cli.status).toBe(0);
    expect(cli.stdout).not.toContain('\u001b[2J');
    expect(cli.stdout.split('\n').some((l) => l.startsWith(FORGED))).toBe(false);
  });
});
