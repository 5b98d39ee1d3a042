// One reading of the event log for metrics and notifications.
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/api/protocol.js';
import { failoversOf, kindOf, parseKinds } from '../../src/engine/event-kinds.js';
import { LossWindow } from '../../src/cluster/link-loss.js';

const rec = (r: Partial<EventRecord>): EventRecord => ({ time: '2026-01-01T00:00:00.000Z', node: 'node1', subject: 'cluster', cause: 'test', rule: 'X', message: 'm', ...r });

describe('event kinds', () => {
  it('tells failovers, faults, jeopardy and config changes apart', () => {
    expect(kindOf(rec({ subject: 'resource:web-app', rule: 'FAILOVER', facts: { failover: { group: 'web', from: 'node1', to: 'node2' } } }))).toBe('failover');
    expect(kindOf(rec({ subject: 'node:node2', rule: 'NODE_FAULT_TAKEOVER', facts: { failovers: [{ group: 'a', from: 'node2', to: 'node1' }, { group: 'b', from: 'node2', to: 'node1' }] } }))).toBe('failover');
    expect(failoversOf(rec({ facts: { failovers: [{ group: 'a', from: 'n', to: 'm' }, { group: 'b', from: 'n', to: 'm' }] } }))).toHaveLength(2);
    expect(kindOf(rec({ subject: 'resource:web-app', rule: 'FAULT_RECORDED', oldState: 'OFFLINE', newState: 'FAULTED' }))).toBe('resource');
    expect(kindOf(rec({ subject: 'resource:web-app', rule: 'FAULT_RECORDED', oldState: 'FAULTED', newState: 'FAULTED' }))).toBeUndefined();
    expect(kindOf(rec({ subject: 'group:web', rule: 'GROUP_STATE', oldState: 'ONLINE', newState: 'FAULTED' }))).toBe('group');
    expect(kindOf(rec({ subject: 'node:node2', rule: 'PEER_NODE_FAULT', oldState: 'RUNNING', newState: 'FAULTED' }))).toBe('node');
    expect(kindOf(rec({ subject: 'node:node2', rule: 'JEOPARDY' }))).toBe('jeopardy');
    expect(kindOf(rec({ rule: 'CONFIG_CHANGED' }))).toBe('config');
    expect(kindOf(rec({ subject: 'resource:web-app', rule: 'ONLINE_DONE', newState: 'ONLINE' }))).toBeUndefined();
    expect(kindOf(rec({ subject: 'group:web', rule: 'REFUSED_LOCKED', facts: { failover: { group: 'web', from: 'a', to: 'b' } } }))).toBeUndefined();
  });

  it('parses NotifyEvents and names unknown words', () => {
    expect(parseKinds('failover, node,bogus')).toEqual({ kinds: ['failover', 'node'], unknown: ['bogus'] });
  });
});

describe('heartbeat loss window', () => {
  it('counts missing sequence numbers, and starts over on a new boot of the sender', () => {
    const w = new LossWindow();
    expect(w.lossRatio()).toBeNull();
    for (let s = 1; s <= 100; s++) if (s % 10 !== 0) w.seen(s); // 10 of 100 lost
    w.seen(101); // completes the window
    expect(w.lossRatio()).toBeCloseTo(0.1, 5);
    const fresh = new LossWindow();
    for (let s = 500; s < 520; s++) fresh.seen(s);
    fresh.seen(1); // sender restarted
    for (let s = 2; s <= 50; s++) fresh.seen(s);
    expect(fresh.lossRatio()).toBe(0);
  });
});
