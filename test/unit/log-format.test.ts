// The engine log line: logfmt with the event fields; values from outside are
// quoted so they cannot forge a line or a key; systemd is told from its
// environment variables.
import { describe, expect, it } from 'vitest';
import { formatLogLine, underSystemd } from '../../src/engine/log-format.js';

describe('engine log lines', () => {
  it('one line: time, level, the fields, then msg', () => {
    expect(formatLogLine('2026-01-01T00:00:00.000Z', 'info', 'group web is ONLINE on node1', { node: 'node1', event: 'GROUP_STATE', subject: 'group:web', oldState: undefined, newState: 'ONLINE' })).toBe(
      '2026-01-01T00:00:00.000Z INFO  node=node1 event=GROUP_STATE subject=group:web newState=ONLINE msg="group web is ONLINE on node1"\n',
    );
  });

  it('a value with a newline, a quote or key=value cannot make a second line or a key', () => {
    const line = formatLogLine('t', 'warn', 'bad\nlevel=error msg="forged"\u2028', { cause: 'x=1 y' });
    expect(line.split('\n')).toHaveLength(2); // the line and the final ''
    expect(line).toBe('t WARN  cause="x=1 y" msg="bad\\nlevel=error msg=\\"forged\\"\\u2028"\n');
  });

  it('systemd: JOURNAL_STREAM or INVOCATION_ID', () => {
    expect(underSystemd({ JOURNAL_STREAM: '8:12345' })).toBe(true);
    expect(underSystemd({ INVOCATION_ID: 'abc' })).toBe(true);
    expect(underSystemd({})).toBe(false);
  });
});
