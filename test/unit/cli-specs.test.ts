// Every command's interface, as operators' scripts see it: a change to an
// argument or flag shows up here in review (STYLE.md, oclif CLIs).
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { specs } from '../../src/cli/specs/index.js';
import { allFlags, parseFast } from '../../src/cli/spec.js';
import { VERBS, type Topic } from '../../src/cli/mccs-syntax.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('command interfaces', () => {
  it('args and flags of every command (snapshot)', () => {
    const surface = Object.fromEntries(
      specs.map((s) => [
        s.id,
        {
          method: s.method,
          args: s.args.map((a) => (a.required ? a.name : `[${a.name}]`)),
          attributes: s.attributes ? (s.attributes.required ? 'Attr=value…' : '[Attr=value…]') : undefined,
          flags: Object.entries(allFlags(s)).map(([n, f]) => `${f.char ? '-' + f.char + ',' : ''}--${n}${f.kind === 'boolean' ? '' : '=' + f.kind}${'required' in f && f.required ? ' (required)' : ''}`),
        },
      ]),
    );
    expect(surface).toMatchSnapshot();
  });

  it('every spec has its oclif command file, and every MCCS verb a spec', () => {
    for (const s of specs) {
      // "grp:online" → src/commands/grp/online.ts; a top-level command ("apply") → src/commands/apply.ts.
      expect(existsSync(join(ROOT, 'src', 'commands', ...s.id.split(':')) + '.ts'), s.id).toBe(true);
    }
    for (const [topic, verbs] of Object.entries(VERBS) as [Topic, readonly string[]][]) {
      for (const verb of verbs) expect(specs.some((s) => s.id === `${topic}:${verb}`), `${topic} ${verb}`).toBe(true);
    }
  });

  it('state changes take --wait, --timeout, --dry-run; reads do not', () => {
    for (const s of specs) {
      const flags = Object.keys(allFlags(s));
      if (s.change) expect(flags, s.id).toEqual(expect.arrayContaining(['wait', 'timeout', 'dry-run', 'json']));
      else expect(flags, s.id).not.toContain('dry-run');
    }
  });

  it('the fast parser leaves to oclif what it is not sure of', () => {
    const online = specs.find((s) => s.id === 'grp:online')!;
    expect(parseFast(online, ['web', '--node', 'node1', '--wait', '--timeout', '5'])).toEqual({
      args: { group: 'web' },
      flags: { node: 'node1', wait: true, timeout: 5 },
      rest: [],
    });
    expect(parseFast(online, ['web', '--timeout=5', '-n', 'n1'])?.flags).toEqual({ timeout: 5, node: 'n1' });
    for (const argv of [[], ['web', '--bogus'], ['web', '--help'], ['web', '-h'], ['web', '--timeout', 'x'], ['web', '--timeout', '0'], ['web', 'extra'], ['web', '--json=yes'], ['web', '--node'], ['web', '-n', 'a', '-n', 'b']]) {
      expect(parseFast(online, argv), argv.join(' ')).toBeUndefined();
    }
    const modify = specs.find((s) => s.id === 'node:modify')!;
    expect(parseFast(modify, ['node1', 'A=1', 'B=x=y'])?.rest).toEqual(['A=1', 'B=x=y']);
    expect(parseFast(modify, ['node1'])).toBeUndefined();
  });
});
