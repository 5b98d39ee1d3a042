// Issue 15: SECURITY.md states the threat model, what is authenticated and
// encrypted, every limit with its value, and how to report a problem; the
// README points to it. The limits table of the code and the document agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/limits/constants.js';
import { clusterAttributes } from '../../src/model/attributes.js';
import { ROOT } from '../helpers/engine-harness.js';

const doc = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');

describe('SECURITY.md', () => {
  it('has the sections an operator and a reporter look for', () => {
    for (const heading of ['## Threat model', '## What is authenticated and encrypted', '## Limits and their defaults', '## Login throttling and audit', '## Reporting a problem']) expect(doc).toContain(heading);
  });

  it('lists every limit of src/limits/constants.ts with its value', () => {
    for (const l of Object.values(LIMITS)) expect(doc, l.name).toMatch(new RegExp(`\\| \`${l.name}\` \\| ${l.value} \\|`));
  });

  it('names the login attributes with their defaults', () => {
    for (const name of ['LoginLockoutCount', 'LoginLockoutTime']) {
      const d = clusterAttributes.find((a) => a.name === name)!;
      expect(doc).toMatch(new RegExp(`\`${name}\`[^\\n]*${String(d.default)}`));
    }
  });

  it('is linked from the README', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('SECURITY.md');
  });
});
