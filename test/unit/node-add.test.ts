// A new node's definition (mccs init --join … --primary-hb): its own checks,
// shared by the joining CLI and the engine, and how it meets the
// configuration (additionOf: new, already there, or a conflict naming the
// node). The join against real engines is in test/e2e/node-join-remove.test.ts.
import { describe, expect, it } from 'vitest';
import { additionOf } from '../../src/api/methods/node-add.js';
import { checkDefinition, isAddress } from '../../src/api/methods/node-definition.js';
import { newNodeAttributes } from '../../src/init/join.js';
import { MccsError } from '../../src/model/errors.js';
import type { MainConfig } from '../../src/model/types.js';

const config: MainConfig = {
  ConfigVersion: 4,
  Cluster: { ClusterName: 'grow', WitnessType: 'etcd', WitnessEndpoints: 'http://127.0.0.1:2379' },
  Nodes: [
    { NodeName: 'node1', PrimaryHB: '10.0.0.1', SecondaryHB: '10.0.1.1' },
    { NodeName: 'node2', PrimaryHB: '10.0.0.2', SecondaryHB: '10.0.1.2', IsolationTestAddresses: '10.0.0.254' },
  ],
  Groups: [],
};

function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof MccsError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('no error');
}

describe('a new node definition', () => {
  it('heartbeat addresses are IP literals (IPv6 link-local with its interface), never host names', () => {
    for (const ok of ['10.0.0.3', 'fd00:213::3', 'fe80::1%eth0']) expect(isAddress(ok), ok).toBe(true);
    for (const bad of ['node3', '10.0.0.300', 'fe80::1%', 'fe80::1%eth0%x', '10.0.0.3 ', '', 'fe80::1%eth0;reboot']) expect(isAddress(bad), bad).toBe(false);
  });

  it('checkDefinition: the name, each address, two different links, each isolation address (INVALID, naming the value)', () => {
    expect(() => checkDefinition({ NodeName: 'node3', PrimaryHB: '10.0.0.3', SecondaryHB: '10.0.1.3', IsolationTestAddresses: '10.0.0.254,fd00::fe' })).not.toThrow();
    expect(errorOf(() => checkDefinition({ NodeName: '3node', PrimaryHB: '10.0.0.3' }))).toEqual({ code: 'INVALID', message: "'3node' is not a valid node name (letters, digits, _ . -; starting with a letter; at most 63)" });
    expect(errorOf(() => checkDefinition({ NodeName: 'node3', PrimaryHB: '10.0.0.3', SecondaryHB: 'db3' })).message).toBe("SecondaryHB 'db3' of node node3 is not an IP address (IPv4, or IPv6 with %interface for a link-local one)");
    expect(errorOf(() => checkDefinition({ NodeName: 'node3', PrimaryHB: '10.0.0.3', SecondaryHB: '10.0.0.3' })).message).toMatch(/SecondaryHB of node node3 is its PrimaryHB/);
    expect(errorOf(() => checkDefinition({ NodeName: 'node3', PrimaryHB: '10.0.0.3', IsolationTestAddresses: '10.0.0.254,gateway' })).message).toBe("IsolationTestAddresses of node node3: 'gateway' is not an IP address");
  });

  it('the joining CLI: --primary-hb needs --node; --secondary-hb or --isolation-addresses alone need --primary-hb (USAGE); a listed node gives none', () => {
    expect(newNodeAttributes({ node: 'node2' })).toBeUndefined();
    expect(newNodeAttributes({ node: 'node3', primaryHB: '10.0.0.3', secondaryHB: '10.0.1.3', isolationAddresses: '10.0.0.254' })).toEqual({ PrimaryHB: '10.0.0.3', SecondaryHB: '10.0.1.3', IsolationTestAddresses: '10.0.0.254' });
    expect(newNodeAttributes({ node: 'node3', primaryHB: '10.0.0.3', isolationAddresses: '' })).toEqual({ PrimaryHB: '10.0.0.3', IsolationTestAddresses: '' });
    expect(errorOf(() => newNodeAttributes({ primaryHB: '10.0.0.3' })).code).toBe('USAGE');
    expect(errorOf(() => newNodeAttributes({ node: 'node3', secondaryHB: '10.0.1.3' })).code).toBe('USAGE');
    expect(errorOf(() => newNodeAttributes({ node: 'node3', isolationAddresses: '10.0.0.254' })).code).toBe('USAGE');
    expect(errorOf(() => newNodeAttributes({ node: 'node3', primaryHB: 'node3.example' })).code).toBe('INVALID');
  });
});

describe('additionOf: a new node against the configuration', () => {
  it('a free name on free addresses is NEW', () => {
    expect(additionOf(config, { NodeName: 'node3', PrimaryHB: '10.0.0.3', SecondaryHB: '10.0.1.3' })).toBe('NEW');
  });

  it('the same definition again is SAME (a join run twice), the isolation addresses compared only when given', () => {
    expect(additionOf(config, { NodeName: 'node2', PrimaryHB: '10.0.0.2', SecondaryHB: '10.0.1.2' })).toBe('SAME');
    expect(additionOf(config, { NodeName: 'node2', PrimaryHB: '10.0.0.2', SecondaryHB: '10.0.1.2', IsolationTestAddresses: '10.0.0.254' })).toBe('SAME');
    expect(additionOf(config, { NodeName: 'node1', PrimaryHB: '10.0.0.1', SecondaryHB: '10.0.1.1', IsolationTestAddresses: '' })).toBe('SAME');
  });

  it('a name in use with another definition is CONFLICT, showing both', () => {
    expect(errorOf(() => additionOf(config, { NodeName: 'node2', PrimaryHB: '10.0.0.2' }))).toEqual({
      code: 'CONFLICT',
      message: 'node node2 already exists with another definition (PrimaryHB 10.0.0.2, SecondaryHB 10.0.1.2; asked: PrimaryHB 10.0.0.2, SecondaryHB (none))',
    });
    expect(errorOf(() => additionOf(config, { NodeName: 'node2', PrimaryHB: '10.0.0.2', SecondaryHB: '10.0.1.2', IsolationTestAddresses: '10.0.0.1' })).message).toMatch(/IsolationTestAddresses 10\.0\.0\.254; asked: .*IsolationTestAddresses 10\.0\.0\.1\)/);
  });

  it("an address that is another node's primary or secondary heartbeat address is CONFLICT, naming that node", () => {
    expect(errorOf(() => additionOf(config, { NodeName: 'node3', PrimaryHB: '10.0.1.2' }))).toEqual({ code: 'CONFLICT', message: 'PrimaryHB 10.0.1.2 is already the heartbeat address of node node2' });
    expect(errorOf(() => additionOf(config, { NodeName: 'node3', PrimaryHB: '10.0.0.3', SecondaryHB: '10.0.0.1' }))).toEqual({ code: 'CONFLICT', message: 'SecondaryHB 10.0.0.1 is already the heartbeat address of node node1' });
  });
});
