import { describe, expect, it } from 'vitest';
import type { NodeState } from '../../src/model/types.js';
import { peerTransition, transition, type NodeEvent, type PeerEvent, type PeerView, type SelfView } from '../../src/cluster/node-state.js';

const node1: SelfView = { node: 'node1', configVersion: 7, rank: 0 };
const node2: SelfView = { node: 'node2', configVersion: 7, rank: 1 };
const peer = (v: SelfView, state: NodeState, over: Partial<PeerView> = {}): PeerView => ({ ...v, state, ...over });

type Row = [name: string, from: NodeState, event: NodeEvent, next: NodeState, code: string];

const rows: Row[] = [
  // start
  ['engine starts in a two-node cluster', 'EXITED', { type: 'start', peerCount: 1 }, 'INITING', 'START'],
  ['engine starts in a single-node cluster: builds at once', 'EXITED', { type: 'start', peerCount: 0 }, 'LOCAL_BUILD', 'SINGLE_NODE'],

  // all INITING: highest ConfigVersion builds, ties by priority
  ['both INITING, same ConfigVersion: node1 (first in Nodes) builds', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING')], peerCount: 1 }, 'LOCAL_BUILD', 'BEST_CONFIG'],
  ['both INITING, same ConfigVersion: node2 waits for node1', 'INITING', { type: 'peers', self: node2, heard: [peer(node1, 'INITING')], peerCount: 1 }, 'INITING', 'WAIT_PEER_BUILD'],
  ['both INITING, node2 has the newer ConfigVersion: node2 builds', 'INITING', { type: 'peers', self: { ...node2, configVersion: 8 }, heard: [peer(node1, 'INITING')], peerCount: 1 }, 'LOCAL_BUILD', 'BEST_CONFIG'],
  ['both INITING, node2 newer: node1 waits', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING', { configVersion: 8 })], peerCount: 1 }, 'INITING', 'WAIT_PEER_BUILD'],
  ['peer in LOCAL_BUILD: wait for it', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'LOCAL_BUILD')], peerCount: 1 }, 'INITING', 'WAIT_PEER_BUILD'],
  ['not every peer heard yet (3 nodes, 1 heard): wait', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING')], peerCount: 2 }, 'INITING', 'WAIT_PEERS'],
  ['no peer heard: wait', 'INITING', { type: 'peers', self: node1, heard: [], peerCount: 1 }, 'INITING', 'WAIT_PEERS'],
  // more than two nodes with a witness: a majority starts once the others are gone at the witness
  ['3 nodes, node3 gone at the witness, node1 best: majority start', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING')], peerCount: 2, absentAtWitness: ['node3'] }, 'LOCAL_BUILD', 'MAJORITY_START'],
  ['3 nodes, node3 gone at the witness: node2 waits for node1 to build', 'INITING', { type: 'peers', self: node2, heard: [peer(node1, 'INITING')], peerCount: 2, absentAtWitness: ['node3'] }, 'INITING', 'WAIT_PEER_BUILD'],
  ['3 nodes, node3 still renews at the witness (not absent): wait', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING')], peerCount: 2, absentAtWitness: [] }, 'INITING', 'WAIT_PEERS'],
  ['3 nodes, none heard, both others gone at the witness: no majority, wait', 'INITING', { type: 'peers', self: node1, heard: [], peerCount: 2, absentAtWitness: ['node2', 'node3'] }, 'INITING', 'WAIT_PEERS'],
  ['5 nodes, 2 of 5 INITING, 3 gone: no majority, wait', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING')], peerCount: 4, absentAtWitness: ['node3', 'node4', 'node5'] }, 'INITING', 'WAIT_PEERS'],
  ['5 nodes, 3 of 5 INITING, 2 gone: majority start', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING'), peer({ node: 'node3', configVersion: 7, rank: 2 }, 'INITING')], peerCount: 4, absentAtWitness: ['node4', 'node5'] }, 'LOCAL_BUILD', 'MAJORITY_START'],
  ['5 nodes, 3 of 5 INITING, 1 gone and 1 still renewing: wait', 'INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING'), peer({ node: 'node3', configVersion: 7, rank: 2 }, 'INITING')], peerCount: 4, absentAtWitness: ['node4'] }, 'INITING', 'WAIT_PEERS'],

  // a RUNNING peer: take the configuration from it
  ['peer RUNNING: REMOTE_BUILD from it', 'INITING', { type: 'peers', self: node2, heard: [peer(node1, 'RUNNING')], peerCount: 1 }, 'REMOTE_BUILD', 'PEER_RUNNING'],
  ['peer RUNNING with an older ConfigVersion: still REMOTE_BUILD (the running cluster wins)', 'INITING', { type: 'peers', self: { ...node1, configVersion: 9 }, heard: [peer(node2, 'RUNNING')], peerCount: 1 }, 'REMOTE_BUILD', 'PEER_RUNNING'],
  ['remote build done', 'REMOTE_BUILD', { type: 'remoteBuildDone' }, 'RUNNING', 'REMOTE_BUILD_DONE'],
  ['remote build source lost', 'REMOTE_BUILD', { type: 'peerLost', peer: 'node1', verdict: 'NODE_FAULT' }, 'INITING', 'BUILD_SOURCE_LOST'],
  ['remote build failed', 'REMOTE_BUILD', { type: 'buildFailed', reason: 'connection reset' }, 'INITING', 'BUILD_FAILED'],
  ['local build done', 'LOCAL_BUILD', { type: 'buildDone' }, 'RUNNING', 'BUILD_DONE'],
  ['local build failed', 'LOCAL_BUILD', { type: 'buildFailed', reason: 'invalid main.json' }, 'INITING', 'BUILD_FAILED'],

  // starting alone
  ['start alone (timeout passed, peer down)', 'INITING', { type: 'startAlone', self: node2, heard: [], forced: false }, 'LOCAL_BUILD', 'START_ALONE'],
  ['start alone forced by the operator', 'INITING', { type: 'startAlone', self: node2, heard: [], forced: true }, 'LOCAL_BUILD', 'START_ALONE_FORCED'],
  ['start alone, but a better INITING peer is heard: it builds', 'INITING', { type: 'startAlone', self: node2, heard: [peer(node1, 'INITING')], forced: false }, 'INITING', 'WAIT_PEER_BUILD'],
  ['start alone ignored once RUNNING', 'RUNNING', { type: 'startAlone', self: node1, heard: [], forced: false }, 'RUNNING', 'IGNORED'],

  // links return after a split: the lower-priority node rejoins without stopping its services
  ['split heals, this node has the lower priority: REMOTE_BUILD', 'RUNNING', { type: 'peerReturned', self: node2, peer: peer(node1, 'RUNNING') }, 'REMOTE_BUILD', 'REJOIN'],
  ['split heals, this node has the higher priority: stays RUNNING', 'RUNNING', { type: 'peerReturned', self: node1, peer: peer(node2, 'RUNNING') }, 'RUNNING', 'PEER_REJOINS'],
  ['a restarted peer comes back INITING: it joins us', 'RUNNING', { type: 'peerReturned', self: node1, peer: peer(node2, 'INITING') }, 'RUNNING', 'PEER_JOINS'],
  ['a peer lost while RUNNING does not change this node', 'RUNNING', { type: 'peerLost', peer: 'node2', verdict: 'NODE_FAULT' }, 'RUNNING', 'IGNORED'],

  // stop
  ['planned stop while RUNNING', 'RUNNING', { type: 'stop' }, 'EXITED', 'PLANNED_STOP'],
  ['planned stop while INITING', 'INITING', { type: 'stop' }, 'EXITED', 'PLANNED_STOP'],
  ['build done without a build is ignored', 'INITING', { type: 'buildDone' }, 'INITING', 'IGNORED'],
];

describe('local node state machine (SPEC §2)', () => {
  it.each(rows)('%s: %s → %s', (_name, from, event, next, code) => {
    const t = transition(from, event);
    expect({ next: t.next, code: t.code }).toEqual({ next, code });
    expect(t.from).toBe(from);
    expect(t.changed).toBe(next !== from);
    expect(t.message).not.toBe('');
  });

  it('the two nodes agree on the builder from the same heartbeat data', () => {
    const a = transition('INITING', { type: 'peers', self: node1, heard: [peer(node2, 'INITING')], peerCount: 1 });
    const b = transition('INITING', { type: 'peers', self: node2, heard: [peer(node1, 'INITING')], peerCount: 1 });
    expect([a.next, b.next].filter((s) => s === 'LOCAL_BUILD')).toHaveLength(1);
  });

  it('REMOTE_BUILD records its source and whether a newer local copy is replaced', () => {
    const t = transition('INITING', { type: 'peers', self: { ...node1, configVersion: 9 }, heard: [peer(node2, 'RUNNING')], peerCount: 1 });
    expect(t.facts).toMatchObject({ source: 'node2', localConfigVersion: 9, sourceConfigVersion: 7, localNewer: true });
  });
});

describe('peer view', () => {
  const prow: Array<[string, NodeState, PeerEvent, NodeState, string]> = [
    ['first heartbeat: peer INITING', 'EXITED', { type: 'heard', state: 'INITING', newIncarnation: true }, 'INITING', 'PEER_RETURNED'],
    ['peer reports RUNNING', 'REMOTE_BUILD', { type: 'heard', state: 'RUNNING', newIncarnation: false }, 'RUNNING', 'PEER_REPORTED'],
    ['steady heartbeat', 'RUNNING', { type: 'heard', state: 'RUNNING', newIncarnation: false }, 'RUNNING', 'UNCHANGED'],
    ['peer engine restarted quickly (new incarnation)', 'RUNNING', { type: 'heard', state: 'INITING', newIncarnation: true }, 'INITING', 'PEER_RESTARTED'],
    ['planned stop', 'RUNNING', { type: 'plannedStop' }, 'EXITED', 'PLANNED_STOP'],
    ['engine exited (host answers ICMP)', 'RUNNING', { type: 'decision', verdict: 'PEER_EXITED', code: 'PEER_EXITED' }, 'EXITED', 'ENGINE_EXITED'],
    ['node fault', 'RUNNING', { type: 'decision', verdict: 'NODE_FAULT', code: 'NODE_FAULT' }, 'FAULTED', 'NODE_FAULT'],
    ['exited peer whose host dies', 'EXITED', { type: 'decision', verdict: 'NODE_FAULT', code: 'NODE_FAULT' }, 'FAULTED', 'NODE_FAULT'],
    ['faulted peer host answers again: still FAULTED', 'FAULTED', { type: 'decision', verdict: 'PEER_EXITED', code: 'PEER_EXITED' }, 'FAULTED', 'STILL_FAULTED'],
    ['split: last known state kept', 'RUNNING', { type: 'decision', verdict: 'SPLIT', code: 'SPLIT' }, 'RUNNING', 'SPLIT'],
    ['isolated here: last known state kept', 'RUNNING', { type: 'decision', verdict: 'ISOLATED', code: 'ISOLATED' }, 'RUNNING', 'ISOLATED'],
    ['faulted peer rejoins', 'FAULTED', { type: 'heard', state: 'INITING', newIncarnation: true }, 'INITING', 'PEER_RETURNED'],
  ];
  it.each(prow)('%s', (_name, from, event, next, code) => {
    const t = peerTransition(from, event);
    expect({ next: t.next, code: t.code }).toEqual({ next, code });
  });
});
