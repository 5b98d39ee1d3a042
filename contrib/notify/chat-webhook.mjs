#!/usr/bin/env node
// NotifyProgram template: one chat message per mccs event, to an incoming
// webhook that takes {"text": "..."} (Slack, Mattermost, Rocket.Chat; for
// Microsoft Teams workflows the same field works).
//   install -m 0755 chat-webhook.mjs /etc/mccs/notify-chat.mjs
//   mccluster modify NotifyProgram=/etc/mccs/notify-chat.mjs
// URL: MCCS_CHAT_WEBHOOK_URL in the engine's environment (systemd drop-in).
// (NotifyWebhook itself POSTs the raw mccs document, for receivers of your own.)
const url = process.env.MCCS_CHAT_WEBHOOK_URL;
if (!url) {
  process.stderr.write('MCCS_CHAT_WEBHOOK_URL is not set\n');
  process.exit(2);
}
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const icon = { failover: ':arrows_counterclockwise:', node: ':red_circle:', resource: ':warning:', group: ':rotating_light:', jeopardy: ':large_orange_diamond:', config: ':gear:' }[e.kind] ?? ':information_source:';
const state = e.newState ? ` → *${e.newState}*` : '';
const text = `${icon} *${e.cluster}* ${e.kind} \`${e.reason}\` ${e.subject}${state}\n${e.message}\n_${e.node}, ${e.time}_`;
const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }), signal: AbortSignal.timeout(8000) });
if (!res.ok) {
  process.stderr.write(`webhook answered HTTP ${res.status}\n`);
  process.exit(1);
}
