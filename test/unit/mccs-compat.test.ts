// The MCCS manual's forms that mccs must take as they are (issue 13): the
// translation of each quoted form, the attribute names as the manual spells
// them, BOOLEAN BootMode, the read-only node attributes, program strings, and
// the pure parts of a node rename.
import { describe, expect, it } from 'vitest';
import { translateMccs } from '../../src/cli/mccs-syntax.js';
import { spec } from '../../src/cli/specs/index.js';
import type { Input } from '../../src/cli/spec.js';
import { findDeclaration, nodeAttributes, parseAttributeValue, typeAttributes } from '../../src/model/attributes.js';
import { applicationAttributes } from '../../src/engine/agents/application.js';
import { currentNodeName, nodeRenames, renameNodeIn } from '../../src/model/rename.js';
import type { MainConfig } from '../../src/model/types.js';
import { validateConfig } from '../../src/model/config.js';

const words = (line: string) => line.split(' ').slice(1);
const translate = (line: string) => translateMccs('node', words(line));

/** The params the CLI sends for a translated line (args as the fast parser would read them). */
function licenseParams(line: string): unknown {
  const argv = translate(line);
  const s = spec('node:license');
  const positionals = argv.slice(2).filter((w) => !w.startsWith('--'));
  const input: Input = { args: { node: positionals[0], license: positionals[1] }, flags: { all: argv.includes('--all') }, attributes: {} };
  return s.params(input, undefined as never);
}

describe('mcnode license forms of the manual', () => {
  it('mcnode -l KEY (the short option of the syntax line): the local node', () => {
    expect(translate('mcnode -l KEY').join(' ')).toBe('node license KEY');
    expect(licenseParams('mcnode -l KEY')).toEqual({ license: 'KEY' });
  });
  it('mcnode -license -n NODE -all KEY: every node', () => {
    expect(translate('mcnode -license -n node1 -all KEY').join(' ')).toBe('node license node1 KEY --all');
    expect(licenseParams('mcnode -license -n node1 -all KEY')).toEqual({ all: true, node: 'node1', license: 'KEY' });
  });
  it('mcnode -license KEY: the local node, the obvious target', () => {
    expect(licenseParams('mcnode -license KEY')).toEqual({ license: 'KEY' });
  });
  it('mcnode -license -n node1 KEY: that node', () => {
    expect(licenseParams('mcnode -license -n node1 KEY')).toEqual({ node: 'node1', license: 'KEY' });
  });
});

describe('mcnode support forms of the manual', () => {
  it('mcnode -supprot (the manual spells it so once) is -support', () => {
    expect(translate('mcnode -supprot -n node1 -p /tmp').join(' ')).toBe('node support node1 --path /tmp');
  });
  it('mcnode -support without -p: no --path (the CLI then writes to the home directory)', () => {
    expect(translate('mcnode -support').join(' ')).toBe('node support');
  });
});

describe('attribute names as the manual writes them', () => {
  it('any case finds the declared attribute: Restartlimit is RestartLimit', () => {
    expect(findDeclaration(typeAttributes, 'Restartlimit')?.name).toBe('RestartLimit');
    expect(findDeclaration(typeAttributes, 'restartlimit')?.name).toBe('RestartLimit');
    expect(findDeclaration(typeAttributes, 'NoSuchThing')).toBeUndefined();
  });
  it('mcnode -modify -n NODE -a IsolationTestAddress ADDR: the singular is an alias', () => {
    expect(translate('mcnode -modify -n node1 -a IsolationTestAddress 10.0.0.254').join(' ')).toBe('node modify node1 IsolationTestAddress=10.0.0.254');
    expect(findDeclaration(nodeAttributes, 'IsolationTestAddress')?.name).toBe('IsolationTestAddresses');
    expect(findDeclaration(nodeAttributes, 'isolationtestaddress')?.name).toBe('IsolationTestAddresses');
  });
  it('BootMode takes the BOOLEAN of the manual: true = AUTO, false = MANUAL', () => {
    const d = findDeclaration(nodeAttributes, 'BootMode')!;
    expect(parseAttributeValue(d, 'true')).toBe('AUTO');
    expect(parseAttributeValue(d, 'false')).toBe('MANUAL');
    expect(parseAttributeValue(d, 'manual')).toBe('MANUAL');
    expect(parseAttributeValue(d, 'AUTO')).toBe('AUTO');
  });
  it('HostID, LicenseType, PrimaryHB, SecondaryHB and StandAlone are read-only as in the manual (stored in main.json)', () => {
    for (const name of ['HostID', 'LicenseType', 'PrimaryHB', 'SecondaryHB', 'StandAlone']) {
      const d = findDeclaration(nodeAttributes, name)!;
      expect([name, d.editable, d.stored]).toEqual([name, false, true]);
    }
    // The addresses only with --force, and the declaration says why.
    expect(findDeclaration(nodeAttributes, 'PrimaryHB')?.forceEditable).toMatch(/next engine start/);
    expect(findDeclaration(nodeAttributes, 'HostID')?.forceEditable).toBeUndefined();
  });
});

describe('program attributes', () => {
  const start = applicationAttributes.find((d) => d.name === 'StartProgram')!;
  it('a string is one executable path, taken whole (never split on spaces or commas)', () => {
    expect(parseAttributeValue(start, '/opt/app/bin/start,now')).toBe('/opt/app/bin/start,now');
    expect(parseAttributeValue(start, '["/opt/app/start", "--now"]')).toEqual(['/opt/app/start', '--now']);
  });
  it('main.json takes the string form and the array form; a command line in a string is refused', () => {
    const cfg = (StartProgram: unknown): MainConfig => ({
      ConfigVersion: 1,
      Cluster: { ClusterName: 'c' },
      Nodes: [{ NodeName: 'n1', StandAlone: true }],
      Groups: [{ GroupName: 'g', GroupType: 'FAILOVER', NodeList: ['n1'], Resources: [{ ResName: 'a', Type: 'Application', StartProgram, MonitorProgram: '/opt/app/check' }], Dependencies: [] }],
    }) as MainConfig;
    expect(validateConfig(cfg('/opt/app/start')).ok).toBe(true);
    expect(validateConfig(cfg(['/opt/app/start', '--now'])).ok).toBe(true);
    const bad = validateConfig(cfg('/opt/app/start --now'));
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).toMatch(/one absolute executable path, not a command line/);
  });
});

describe('node rename (pure parts)', () => {
  const base = (): MainConfig => ({
    ConfigVersion: 4,
    Cluster: { ClusterName: 'c' },
    Nodes: [
      { NodeName: 'node1', PrimaryHB: '10.0.0.1' },
      { NodeName: 'node2', PrimaryHB: '10.0.0.2' },
    ],
    Groups: [
      { GroupName: 'a', GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], AutoStartNode: 'node2', Resources: [], Dependencies: [] },
      { GroupName: 'b', GroupType: 'PARALLEL', NodeList: ['node2'], Resources: [], Dependencies: [] },
    ],
  }) as MainConfig;

  it('renames Nodes, every NodeList and AutoStartNode, and nothing else', () => {
    const c = base();
    renameNodeIn(c, 'node2', 'db2');
    expect(c.Nodes.map((n) => n.NodeName)).toEqual(['node1', 'db2']);
    expect(c.Groups[0]!.NodeList).toEqual(['node1', 'db2']);
    expect(c.Groups[0]!.AutoStartNode).toBe('db2');
    expect(c.Groups[1]!.NodeList).toEqual(['db2']);
    expect(validateConfig(c).ok).toBe(true);
  });
  it('a rename is seen between two configurations (same place, same addresses, another name)', () => {
    const before = base();
    const after = structuredClone(before);
    renameNodeIn(after, 'node2', 'db2');
    expect(nodeRenames(before, after)).toEqual([{ from: 'node2', to: 'db2' }]);
    expect(nodeRenames(before, structuredClone(before))).toEqual([]);
  });
  it('a daemon started as --node OLD finds its new name; a name still in main.json is kept', () => {
    expect(currentNodeName('node2', ['node1', 'db2'], { node2: 'db2' })).toEqual({ name: 'db2', renamedFrom: 'node2' });
    expect(currentNodeName('node1', ['node1', 'db2'], { node2: 'db2' })).toEqual({ name: 'node1' });
    expect(currentNodeName('ghost', ['node1', 'db2'], {})).toEqual({ name: 'ghost' });
  });
});
