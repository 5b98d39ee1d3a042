// Notifications (issue 14): two engines (127.0.0.1 / 127.0.0.2) with a
// NotifyWebhook pointing at a real HTTP receiver of this test on 127.0.0.1
// and a NotifyProgram that appends its stdin to a file. A critical
// application fails for good on node1 and its group fails over to node2.
// The receiver counts, orders and checks what arrives: one JSON document per
// event of the chosen kinds, per engine in the order written (seq without
// gaps), with the reason code and the facts; its first two answers are
// HTTP 500, so delivery is retried with back-off and each failure logged.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/engine-harness.js';
import { pairConfig, startPair, writeExecutable, type Pair } from '../helpers/loopback-pair.js';

const base = 28000 + (process.pid % 500) * 8;

interface Doc {
  version: number;
  seq: number;
  kind: string;
  cluster: string;
  node: string;
  subject: string;
  reason: string;
  message: string;
  facts: Record<string, unknown>;
  group?: string;
  newState?: string;
}

describe('NotifyWebhook and NotifyProgram across a failover', () => {
  let pair: Pair;
  let server: Server;
  const received: Doc[] = [];
  const arrivals: number[] = [];
  let refused = 0;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), 'mccs-notify-'));
  // The program appends each document to $MCCS_HOME/notified.jsonl of the node that runs it.
  const program = join(dir, 'notify.sh');
  writeExecutable(program, '#!/bin/sh\n{ cat; echo; } >> "$MCCS_HOME/notified.jsonl"\n');

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (refused < 2) {
          refused += 1;
          res.writeHead(500).end('not now');
          return;
        }
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Doc);
        arrivals.push(Date.now());
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    const config = pairConfig({
      hbPort: base,
      groups: ['web'],
      cluster: { NotifyWebhook: `http://127.0.0.1:${port}/mccs`, NotifyProgram: program, NotifyEvents: 'node,failover,resource,group,config' },
    });
    pair = await startPair(config);
  }, 60_000);

  afterAll(async () => {
    await pair?.destroy();
    await new Promise<void>((r) => server?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the failover reaches the webhook in order, with reason codes and facts, after retries', async () => {
    await pair.waitGroup('web', 'node1', 'ONLINE');
    pair.breakApp('node1', 'web');
    await pair.waitGroup('web', 'node2', 'ONLINE');
    const failover = await waitFor('the failover notified', () => received.find((d) => d.kind === 'failover'), 20_000);
    expect(failover).toMatchObject({ version: 1, cluster: 'pair', node: 'node1', reason: 'FAILOVER', subject: 'resource:web-app' });
    expect(failover.facts.failover).toEqual({ group: 'web', from: 'node1', to: 'node2' });
    await waitFor('the fault notified', () => received.find((d) => d.kind === 'resource' && d.newState === 'FAULTED'), 10_000);
    await waitFor('group FAULTED on node1 notified', () => received.find((d) => d.kind === 'group' && d.newState === 'FAULTED'), 10_000);

    // Per engine: seq 1, 2, 3, ... in arrival order (nothing lost, nothing reordered).
    for (const node of ['node1', 'node2']) {
      const seqs = received.filter((d) => d.node === node).map((d) => d.seq);
      expect(seqs, `${node}: ${JSON.stringify(seqs)}`).toEqual(seqs.map((_, i) => i + 1));
    }
    // Order of facts on node1: the resource fault, then the failover plan... as in its event log.
    const logOrder = pair.nodes.node1.events().map((e) => `${e.rule} ${e.subject}`);
    const gotOrder = received.filter((d) => d.node === 'node1').map((d) => `${d.reason} ${d.subject}`);
    let at = -1;
    for (const g of gotOrder) {
      const i = logOrder.indexOf(g, at + 1);
      expect(i, `${g} after position ${at} in ${JSON.stringify(logOrder)}`).toBeGreaterThan(at);
      at = i;
    }
    // Every document has the reason code and the facts; only chosen kinds.
    for (const d of received) {
      expect(typeof d.reason).toBe('string');
      expect(typeof d.facts).toBe('object');
      expect(['node', 'failover', 'resource', 'group', 'config']).toContain(d.kind);
    }
    // The two refused POSTs were retried and logged.
    const log = readFileSync(join(pair.nodes.node1.home, 'log/engine.log'), 'utf8') + readFileSync(join(pair.nodes.node2.home, 'log/engine.log'), 'utf8');
    expect(log).toMatch(/notify webhook: #1 .* attempt 1 failed: POST http:\/\/127\.0\.0\.1:\d+\/mccs answered HTTP 500; retry in \d+ ms/);
  }, 60_000);

  it('the program got the same documents on its stdin, one per run, in the same order', async () => {
    expect(received.filter((d) => d.node === 'node1').length).toBeGreaterThan(2);
    for (const [node, h] of Object.entries(pair.nodes)) {
      const file = join(h.home, 'notified.jsonl');
      const viaWebhook = received.filter((d) => d.node === node);
      const docs = await waitFor(`${node}: the program got what the webhook got (${JSON.stringify(viaWebhook.map((d) => d.seq + d.reason))}; file ${existsSync(file) ? readFileSync(file, 'utf8') : 'absent'}; log ${readFileSync(join(h.home, 'log/engine.log'), 'utf8').split('\n').filter((l) => l.includes('notify')).join(' | ')})`, () => {
        if (!existsSync(file)) return viaWebhook.length === 0 ? [] : false;
        const d = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Doc);
        return d.length >= viaWebhook.length ? d : false;
      }, 20_000);
      expect(docs.slice(0, viaWebhook.length)).toEqual(viaWebhook);
    }
  }, 40_000);
});
