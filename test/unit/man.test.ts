// The man pages in man/ are generated (npm run build && npm run man) and
// committed; they must render without a warning and name every command and
// every attribute the code declares.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agents } from '../../src/engine/agents/catalog.js';
import {
  clusterAttributes,
  dependencyAttributes,
  groupAttributes,
  nodeAttributes,
  resourceAttributes,
  typeAttributes,
} from '../../src/model/attributes.js';
import { EXIT_CODES } from '../../src/model/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAN = join(ROOT, 'man');
const PAGES = ['mccs.8', 'mcnode.8', 'mcgrp.8', 'mcres.8', 'mccluster.8', 'mccs-main.json.5'];
const REGENERATE = 'regenerate with: npm run build && npm run man';

function render(page: string): { text: string; warnings: string } {
  const r = spawnSync('man', ['-l', '--warnings', join(MAN, page)], {
    env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', MANPAGER: 'cat', PAGER: 'cat', LANG: 'C.UTF-8' },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  // Strip overstriking (bold/underline) in case the formatter kept it.
  return { text: r.stdout.replace(/.\x08/g, ''), warnings: r.stderr };
}

/** The command tree is the folder tree (oclif): src/commands/grp/online.ts is `mccs grp online`. */
function commandIds(dir = join(ROOT, 'src/commands')): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) return commandIds(path);
    if (!f.endsWith('.ts') || f.endsWith('.d.ts')) return [];
    return [relative(join(ROOT, 'src/commands'), path).replace(/\.ts$/, '').replace(/\/index$/, '').split('/').join(' ')];
  });
}

const ENTRY: Record<string, string> = { node: 'mcnode', grp: 'mcgrp', res: 'mcres', cluster: 'mccluster' };

describe('man pages', () => {
  it.each(PAGES)('%s renders with man -l without a warning', (page) => {
    const { text, warnings } = render(page);
    expect(warnings).toBe('');
    expect(text).toContain('NAME');
    const groff = spawnSync('groff', ['-t', '-man', '-Tutf8', '-ww', '-z', join(MAN, page)], { encoding: 'utf8' });
    expect(groff.stderr).toBe('');
  });

  it('mccs-main.json(5) names every declared attribute and every resource type', () => {
    const source = readFileSync(join(MAN, 'mccs-main.json.5'), 'utf8');
    const declared = [clusterAttributes, nodeAttributes, groupAttributes, resourceAttributes, typeAttributes, dependencyAttributes].flat();
    const missing = declared.filter((d) => !source.includes(`.B ${d.name}\n`)).map((d) => d.name);
    expect(missing, REGENERATE).toEqual([]);
    for (const [type, agent] of Object.entries(agents)) {
      const section = source.split(/^\.SS /m).find((s) => s.startsWith(`"${type}"`));
      expect(section, `no section for type ${type}; ${REGENERATE}`).toBeDefined();
      const absent = agent.attributes.filter((d) => !section!.includes(`.B ${d.name}\n`)).map((d) => d.name);
      expect(absent, `${type}: ${REGENERATE}`).toEqual([]);
    }
    const { text } = render('mccs-main.json.5');
    expect(text).toMatch(/HBInterval\s+integer; unit ms; range 50\.\.60000; default 1000; editable\./);
    expect(text).toContain('Ours: this default differs from MCCS (MCCS: 2000 ms)');
    expect(text).toMatch(/NodeState\s+one of EXITED, INITING.*read-only/s);
  });

  it('each entry point documents every command of its topic, in oclif and MCCS syntax', () => {
    const ids = commandIds();
    expect(ids).toContain('init');
    const missing: string[] = [];
    for (const id of ids) {
      const [topic, ...rest] = id.split(' ');
      const entry = ENTRY[topic!] && rest.length > 0 ? ENTRY[topic!]! : 'mccs';
      const title = entry === 'mccs' ? `mccs ${id}` : `${entry} ${rest.join(' ')}`;
      const source = readFileSync(join(MAN, `${entry}.8`), 'utf8');
      if (!source.includes(`.SS "${title.replace(/-/g, '\\-')}`)) missing.push(`${title} (man/${entry}.8)`);
    }
    expect(missing, REGENERATE).toEqual([]);
    for (const entry of Object.values(ENTRY)) {
      const { text } = render(`${entry}.8`);
      expect(text).toContain('MCCS SYNTAX');
      expect(text).toContain(`${entry} [-u USER -pw PASSWORD] [-ip ADDRESS]`);
    }
    expect(render('mccs.8').text).toContain('mccs autocomplete');
  });

  it('every page has the exit codes, environment, files and recovery sections', () => {
    for (const page of PAGES.filter((p) => p.endsWith('.8'))) {
      const { text } = render(page);
      for (const section of ['EXIT STATUS', 'JSON OUTPUT', 'ENVIRONMENT', 'FILES', 'RECOVERY', 'SEE ALSO']) expect(text, `${page} ${section}`).toContain(`\n${section}\n`);
      for (const [code, n] of Object.entries(EXIT_CODES)) expect(text, page).toMatch(new RegExp(`\\n\\s+${n}\\s+${code}: `));
      for (const name of ['MCCS_HOME', 'MCCS_USER', 'MCCS_PASSWORD', 'MCCS_NODE', 'NO_COLOR']) expect(text).toContain(name);
      expect(text).toContain('A group is FAULTED');
    }
  });

  it('options are printed with ASCII hyphens, so they can be copied into a shell', () => {
    const { text } = render('mccs.8');
    expect(text).toContain('--non-interactive');
    expect(text).not.toMatch(/\u2212|\u2010/);
  });
});
