#!/usr/bin/env node
// NotifyProgram template: one mail per mccs event, through sendmail.
//   install -m 0755 mail-sendmail.mjs /etc/mccs/notify-mail.mjs
//   mccluster modify NotifyProgram=/etc/mccs/notify-mail.mjs
// Recipient: MCCS_NOTIFY_MAIL_TO in the engine's environment (systemd:
// `systemctl edit mccs` → Environment=MCCS_NOTIFY_MAIL_TO=oncall@example.com),
// default root. sendmail: MCCS_SENDMAIL, default /usr/sbin/sendmail.
// The event arrives as one JSON document on stdin; exit non-zero = retried.
import { spawn } from 'node:child_process';

const to = process.env.MCCS_NOTIFY_MAIL_TO || 'root';
const sendmail = process.env.MCCS_SENDMAIL || '/usr/sbin/sendmail';
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
// Header values must stay on one line whatever an event says.
const oneLine = (s) => String(s ?? '').replace(/[\r\n]+/g, ' ').slice(0, 200);
const what = e.newState ? `${e.subject} ${e.oldState ? `${e.oldState} -> ` : ''}${e.newState}` : e.subject;
const body = [
  `${e.message}`,
  '',
  `cluster:  ${e.cluster}`,
  `node:     ${e.node} (the engine that reports)`,
  `time:     ${e.time}`,
  `kind:     ${e.kind}`,
  `reason:   ${e.reason}`,
  `subject:  ${what}`,
  `cause:    ${e.cause}`,
  '',
  'facts:',
  JSON.stringify(e.facts, null, 2),
  '',
  `Why: mccluster events${e.group ? ` --group ${e.group}` : ''} --limit 20`,
].join('\n');
const mail = [`To: ${oneLine(to)}`, `Subject: ${oneLine(`[mccs ${e.cluster}] ${e.kind}: ${e.reason} ${what}`)}`, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\n');
const child = spawn(sendmail, ['-t', '-oi'], { stdio: ['pipe', 'inherit', 'inherit'] });
child.stdin.end(mail);
child.on('error', (err) => {
  process.stderr.write(`cannot run ${sendmail}: ${err.message}\n`);
  process.exit(1);
});
child.on('close', (code) => process.exit(code ?? 1));
