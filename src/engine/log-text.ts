// Text that goes into a one-line-per-fact log (engine.log, the events table
// of the CLI) may hold values from outside: a node name sent by a joining
// host, an attribute value, a peer's error message. Control characters and
// line breaks in them are escaped, so no value can start a line of its own
// and pass for a record the engine never wrote, or move a terminal's cursor.
// The event log itself stays JSON (which escapes them already).

// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeLogText(text: string): string {
  return text.replace(UNSAFE, (ch) => NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
