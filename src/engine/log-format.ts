// One engine log line: the time and the level first (as always), then
// logfmt key=value fields — the same keys as the event log where a message
// carries an event (event, subject, group, resource, oldState, newState,
// cause) — and msg last. A value with a space, a quote, an equals sign or any
// control character is written as a JSON string with what JSON leaves raw
// escaped too (log-text.ts), so a value from outside can never forge a second
// line or another key.
import { escapeLogText } from './log-text.js';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

function value(v: string | number | boolean | null): string {
  const s = String(v);
  return s === '' || /[\s"=\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s) ? escapeLogText(JSON.stringify(s)) : s;
}

export function formatLogLine(time: string, level: string, msg: string, fields: LogFields = {}): string {
  const parts = [`${time} ${level.toUpperCase().padEnd(5)}`];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && k !== 'msg') parts.push(`${k}=${value(v)}`);
  parts.push(`msg=${value(msg)}`);
  return `${parts.join(' ')}\n`;
}

/** Under systemd (a unit's stdout goes to journald): JOURNAL_STREAM or INVOCATION_ID is set. */
export function underSystemd(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.JOURNAL_STREAM || env.INVOCATION_ID);
}
