// The MCCS single-dash forms an operator's old scripts use, and the oclif argv
// each must become (SPEC §6, §8 "MCCS command forms").
import { describe, expect, it } from 'vitest';
import { isMccsSyntax, toOclifArgv, translateMccs, type Topic } from '../../src/cli/mccs-syntax.js';
import { MccsError } from '../../src/model/errors.js';

const t = (topic: Topic, line: string): string => translateMccs(topic, line.split(' ')).join(' ');

function usage(topic: Topic, line: string): MccsError {
  try {
    translateMccs(topic, line.split(' '));
  } catch (e) {
    expect(e).toBeInstanceOf(MccsError);
    expect((e as MccsError).code).toBe('USAGE');
    expect((e as MccsError).exitCode).toBe(2);
    return e as MccsError;
  }
  throw new Error(`expected a usage error for ${line}`);
}

describe('mcgrp MCCS forms', () => {
  const cases: [string, string][] = [
    ['-u admin -pw password -online -g pg -n node1', 'grp online pg --node node1 --user admin --password password'],
    ['-online -g pg -n node1', 'grp online pg --node node1'],
    ['-offline -g pg', 'grp offline pg'],
    ['-offline -g pg -n node2', 'grp offline pg --node node2'],
    ['-switch -g pg -n node2', 'grp switch pg --node node2'],
    ['-freeze -g pg', 'grp freeze pg'],
    ['-unfreeze -g pg', 'grp unfreeze pg'],
    ['-lock -g pg', 'grp lock pg'],
    ['-lock -g pg -temp', 'grp lock pg --temporary'],
    ['-unlock -g pg', 'grp unlock pg'],
    ['-enable -g pg', 'grp enable pg'],
    ['-disable -g pg', 'grp disable pg'],
    ['-clear -g pg -n node1', 'grp clear pg --node node1'],
    ['-list', 'grp list'],
    ['-list -g pg', 'grp list pg'],
    ['-state', 'grp state'],
    ['-state -g pg -n node1', 'grp state pg --node node1'],
    ['-add -g pg -a NodeList node1,node2 -a GroupType FAILOVER', 'grp add pg NodeList=node1,node2 GroupType=FAILOVER'],
    ['-delete -g pg', 'grp delete pg'],
    ['-modify -g pg -a AutoFailover false', 'grp modify pg AutoFailover=false'],
    ['-link -g pg app ip', 'grp link pg app ip'],
    ['-link -g pg app ip -a OfflineDependency WEAK', 'grp link pg app ip OfflineDependency=WEAK'],
    ['-unlink -g pg app ip', 'grp unlink pg app ip'],
    ['-ip 10.0.0.2 -u admin -pw secret -list', 'grp list --host 10.0.0.2 --user admin --password secret'],
    ['-online -g pg -n node1 -force', 'grp online pg --node node1 --force'],
    ['-online -h', 'grp online --help'],
  ];
  it.each(cases)('mcgrp %s', (mccs, oclif) => {
    expect(t('grp', mccs)).toBe(oclif);
  });

  it('passes --json, --wait, --timeout and --dry-run through', () => {
    expect(t('grp', '-online -g pg -n node1 --json --wait --timeout 5 --dry-run')).toBe('grp online pg --node node1 --json --wait --timeout 5 --dry-run');
    expect(t('grp', '--json -list')).toBe('grp list --json');
    expect(t('grp', '-online -g pg --timeout=5 --wait')).toBe('grp online pg --timeout=5 --wait');
  });
});

describe('mcres MCCS forms', () => {
  const cases: [string, string][] = [
    ['-online web-ip -n node1', 'res online web-ip --node node1'],
    ['-u admin -pw pw -online web-ip -n node1', 'res online web-ip --node node1 --user admin --password pw'],
    ['-offline web-ip', 'res offline web-ip'],
    ['-clear web-ip', 'res clear web-ip'],
    ['-clear web-ip -n node2', 'res clear web-ip --node node2'],
    ['-probe web-ip -n node1', 'res probe web-ip --node node1'],
    ['-enable web-ip', 'res enable web-ip'],
    ['-disable web-ip', 'res disable web-ip'],
    ['-delete web-ip', 'res delete web-ip'],
    ['-modify web-app -a RestartLimit 2', 'res modify web-app RestartLimit=2'],
    ['-modify web-app -a Arguments /srv/a.js', 'res modify web-app Arguments=/srv/a.js'],
    ['-add web-app -t Process -g web', 'res add web-app --type Process --group web'],
    ['-add web-app -t Process -g web -a Path /usr/bin/node', 'res add web-app Path=/usr/bin/node --type Process --group web'],
    ['-monitor', 'res monitor'],
    ['-monitor web', 'res monitor web'],
    ['-monitor web -t 1', 'res monitor web --interval 1'],
    ['-monitor -t 5', 'res monitor --interval 5'],
    ['-list', 'res list'],
    ['-list web-ip', 'res list web-ip'],
    ['-list -g web', 'res list --group web'],
    ['-state web-ip -n node1', 'res state web-ip --node node1'],
    ['-state -g web', 'res state --group web'],
    ['-ip fd00:213::2 -state', 'res state --host fd00:213::2'],
  ];
  it.each(cases)('mcres %s', (mccs, oclif) => {
    expect(t('res', mccs)).toBe(oclif);
  });
});

describe('mcnode MCCS forms', () => {
  const cases: [string, string][] = [
    ['-list', 'node list'],
    ['-list -n node1', 'node list node1'],
    ['-modify -n node1 -a IsolationTestAddresses 10.0.0.254', 'node modify node1 IsolationTestAddresses=10.0.0.254'],
    ['-u admin -pw password -modify -n node1 -a IsolationTestAddresses 10.0.0.254', 'node modify node1 IsolationTestAddresses=10.0.0.254 --user admin --password password'],
    ['-modify -n node1 -a IsolationTestAddresses 10.0.0.254,fe80::1%eth0', 'node modify node1 IsolationTestAddresses=10.0.0.254,fe80::1%eth0'],
    ['-license -n node1 ABC-123', 'node license node1 ABC-123'],
    ['-license -all ABC-123', 'node license ABC-123 --all'],
    ['-support -p /tmp', 'node support --path /tmp'],
    ['-support -n node2 -all -p /tmp/x.tar.gz', 'node support node2 --all --path /tmp/x.tar.gz'],
    ['-evacuate -n node1', 'node evacuate node1'],
    ['-evacuate -n node1 --wait --timeout 120', 'node evacuate node1 --wait --timeout 120'],
  ];
  it.each(cases)('mcnode %s', (mccs, oclif) => {
    expect(t('node', mccs)).toBe(oclif);
  });
});

describe('mccluster MCCS forms', () => {
  const cases: [string, string][] = [
    ['-status', 'cluster status'],
    ['-modify -a HBTimeout 2000', 'cluster modify HBTimeout=2000'],
    ['-events -g web -limit 10', 'cluster events --group web --limit 10'],
    ['-events -r web-ip -n node1 -since 2024-05-01T03:00:00Z', 'cluster events --resource web-ip --node node1 --since 2024-05-01T03:00:00Z'],
    ['-attributes', 'cluster attributes'],
  ];
  it.each(cases)('mccluster %s', (mccs, oclif) => {
    expect(t('cluster', mccs)).toBe(oclif);
  });
});

describe('bad MCCS input is a usage error naming what is wrong', () => {
  it('an unknown single-dash option', () => {
    expect(usage('grp', '-online -g pg -x 1').message).toContain('-x');
    expect(usage('grp', '-online -g pg -bogus').message).toContain('-bogus');
  });
  it('an option of another command', () => {
    expect(usage('grp', '-online -g pg -t Process').message).toContain('-t');
    expect(usage('res', '-online r -p /tmp').message).toContain('-p');
    expect(usage('node', '-list -g web').message).toContain('-g');
  });
  it('no verb, or two verbs', () => {
    expect(usage('grp', '-g pg -n node1').message).toMatch(/no command given.*-online/);
    expect(usage('grp', '-online -offline -g pg').message).toMatch(/two commands/);
    expect(usage('node', '-state').message).toMatch(/no command given/);
  });
  it('a missing value', () => {
    expect(usage('grp', '-online -g').message).toContain('-g');
    expect(usage('node', '-modify -n node1 -a IsolationTestAddresses').message).toMatch(/needs a value/);
  });
  it('a target given twice with different values', () => {
    expect(usage('grp', '-online -g a -g b').message).toMatch(/twice/);
  });
});

describe('which syntax', () => {
  it('single-dash first word is MCCS; a verb word or -h is not', () => {
    expect(isMccsSyntax(['-online', '-g', 'x'])).toBe(true);
    expect(isMccsSyntax(['-u', 'admin', '-list'])).toBe(true);
    expect(isMccsSyntax(['online', 'x', '-n', 'node1'])).toBe(false);
    expect(isMccsSyntax(['--help'])).toBe(false);
    expect(isMccsSyntax(['-h'])).toBe(false);
    expect(isMccsSyntax([])).toBe(false);
  });
  it('entry points add their topic; mccs takes MCCS syntax after a topic', () => {
    expect(toOclifArgv('grp', ['online', 'web', '--node', 'node1'])).toEqual(['grp', 'online', 'web', '--node', 'node1']);
    expect(toOclifArgv('grp', ['-online', '-g', 'web', '-n', 'node1'])).toEqual(['grp', 'online', 'web', '--node', 'node1']);
    expect(toOclifArgv(undefined, ['grp', '-online', '-g', 'web'])).toEqual(['grp', 'online', 'web']);
    expect(toOclifArgv(undefined, ['node', 'modify', 'node1', 'A=b'])).toEqual(['node', 'modify', 'node1', 'A=b']);
    expect(toOclifArgv(undefined, ['daemon', '--node', 'node1'])).toEqual(['daemon', '--node', 'node1']);
  });
});

// Issue 16: the forms of a pair work with a third node (or a sixteenth), and the new verbs and attributes too.
describe('MCCS forms with more than two nodes', () => {
  const cases: [Topic, string, string][] = [
    ['grp', '-switch -g pg -n node3', 'grp switch pg --node node3'],
    ['grp', '-online -g pg -n node16', 'grp online pg --node node16'],
    ['grp', '-state -g pg -n node3', 'grp state pg --node node3'],
    ['grp', '-modify -g pg -a NodeList node1,node2,node3', 'grp modify pg NodeList=node1,node2,node3'],
    ['grp', '-modify -g pg -a Load 60', 'grp modify pg Load=60'],
    ['grp', '-add -g crm -a NodeList node3,node1 -a Load 20', 'grp add crm NodeList=node3,node1 Load=20'],
    ['res', '-online web-ip -n node3', 'res online web-ip --node node3'],
    ['res', '-clear web-ip -n node3', 'res clear web-ip --node node3'],
    ['node', '-list -n node3', 'node list node3'],
    ['node', '-modify -n node3 -a Capacity 100', 'node modify node3 Capacity=100'],
    ['node', '-evacuate -n node3 --wait', 'node evacuate node3 --wait'],
    ['node', '-remove -n node3', 'node remove node3'],
    ['node', '-remove -n node3 -force', 'node remove node3 --force'],
    ['cluster', '-events -n node3 -limit 5', 'cluster events --node node3 --limit 5'],
  ];
  it.each(cases)('%s %s', (topic, mccs, oclif) => {
    expect(t(topic, mccs)).toBe(oclif);
  });
});
