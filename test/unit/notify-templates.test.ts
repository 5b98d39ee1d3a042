// The NotifyProgram templates of contrib/notify, run as the engine runs them
// (no arguments, the document on stdin): the mail one hands sendmail a mail
// whose headers cannot be split by an event's text; the chat one POSTs
// {"text"} to a receiver on 127.0.0.1 and fails (exit 1) on a refusal.
import { spawnSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CONTRIB = resolve(import.meta.dirname, '../../contrib/notify');
const doc = { version: 1, seq: 3, kind: 'failover', cluster: 'shop', node: 'node1', time: '2026-01-01T03:12:00.000Z', subject: 'resource:web-app', group: 'web', resource: 'web-app', reason: 'FAILOVER', message: 'web-app failed for good\nSubject: forged', cause: 'monitor', facts: { failover: { group: 'web', from: 'node1', to: 'node2' } } };
const dir = mkdtempSync(join(tmpdir(), 'mccs-notify-tpl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('contrib/notify templates', () => {
  it('mail-sendmail.mjs: one mail to sendmail -t, one-line headers', () => {
    const fake = join(dir, 'sendmail');
    writeFileSync(fake, `#!/bin/sh\necho "$@" > ${dir}/argv\ncat > ${dir}/mail\n`, { mode: 0o755 });
    const r = spawnSync(join(CONTRIB, 'mail-sendmail.mjs'), [], { input: JSON.stringify(doc), env: { ...process.env, MCCS_SENDMAIL: fake, MCCS_NOTIFY_MAIL_TO: 'oncall@example.com' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'argv'), 'utf8').trim()).toBe('-t -oi');
    const mail = readFileSync(join(dir, 'mail'), 'utf8');
    const headers = mail.split('\n\n')[0]!.split('\n');
    expect(headers).toEqual(['To: oncall@example.com', 'Subject: [mccs shop] failover: FAILOVER resource:web-app', 'Content-Type: text/plain; charset=utf-8']);
    expect(mail).toContain('"to": "node2"');
  });

  it('chat-webhook.mjs: POSTs {"text"}; a refusal is exit 1 (the engine retries)', async () => {
    const bodies: string[] = [];
    let status = 200;
    const server = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        bodies.push(b);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    const run = () =>
      new Promise<number>((res) => {
        const c = spawn(join(CONTRIB, 'chat-webhook.mjs'), [], { env: { ...process.env, MCCS_CHAT_WEBHOOK_URL: url }, stdio: ['pipe', 'ignore', 'ignore'] });
        c.stdin.end(JSON.stringify(doc));
        c.on('close', (code) => res(code ?? -1));
      });
    try {
      expect(await run()).toBe(0);
      expect(JSON.parse(bodies[0]!).text).toMatch(/^:arrows_counterclockwise: \*shop\* failover `FAILOVER` resource:web-app/);
      status = 500;
      expect(await run()).toBe(1);
    } finally {
      server.close();
    }
  });
});
