// How the witness reads for a human: the block of `mccluster status` and `mccs witness check`.
import type { ChalkInstance } from 'chalk';
import { table } from './render.js';

interface WitnessStatus {
  type: string;
  endpoints: string[];
  prefix: string;
  ttlMs: number;
  reachable: boolean;
  nodes: { node: string; reachable: boolean; lastRoundTripMs?: number | null; lastRenewalSeenAgeMs?: number | null; error?: string | null; memberLease?: { id: string; ttlSeconds: number } | null }[];
  groups: { group: string; owner: string | null; revision: string | null; deadlineInMs: number | null; holdingOnPeer: boolean; unrecorded: boolean }[];
}

const yesNo = (c: ChalkInstance, ok: boolean) => (ok ? c.green('reachable') : c.red('UNREACHABLE'));

export function witnessBlock(w: WitnessStatus, c: ChalkInstance): string {
  const head = `${c.bold('Witness')} ${w.type} ${w.endpoints.join(',')}  prefix ${w.prefix}  WitnessTTL ${w.ttlMs} ms`;
  const nodes = table(
    c,
    ['NODE', 'WITNESS', 'DETAIL'],
    w.nodes.map((n) => [
      n.node,
      yesNo(c, n.reachable),
      n.lastRoundTripMs !== undefined
        ? `round trip ${n.lastRoundTripMs ?? '-'} ms${n.memberLease ? `; member lease ${BigInt(n.memberLease.id).toString(16)} (TTL ${n.memberLease.ttlSeconds} s)` : ''}${n.error ? `; ${n.error}` : ''}`
        : `last renewal seen ${n.lastRenewalSeenAgeMs ?? '-'} ms ago`,
    ]),
  );
  const groups = table(
    c,
    ['GROUP', 'OWNER', 'REVISION', 'DEADLINE'],
    w.groups.map((g) => [
      g.group,
      g.owner ?? '-',
      g.revision ?? '-',
      g.deadlineInMs === null ? '-' : `${g.deadlineInMs >= 0 ? `in ${g.deadlineInMs} ms` : `passed ${-g.deadlineInMs} ms ago`}${g.holdingOnPeer ? ' (held: peer heard)' : ''}${g.unrecorded ? ' (two-node rules)' : ''}`,
    ]),
  );
  return [head, nodes, groups].join('\n');
}

export function witnessCheck(r: { node: string; reachable: boolean; endpoints: { endpoint: string; reachable: boolean; latencyMs: number | null; version?: string; error?: string }[]; holds: string[]; status: WitnessStatus }, c: ChalkInstance): string {
  return [
    `${r.node}: the witness is ${yesNo(c, r.reachable)}`,
    table(c, ['ENDPOINT', 'STATE', 'LATENCY', 'DETAIL'], r.endpoints.map((e) => [e.endpoint, yesNo(c, e.reachable), e.latencyMs === null ? '-' : `${e.latencyMs} ms`, e.version ? `etcd ${e.version}` : (e.error ?? '')])),
    `holds: ${r.holds.length > 0 ? r.holds.join(', ') : '(no failover group)'}`,
    '',
    witnessBlock(r.status, c),
  ].join('\n');
}
