// mccs witness: the third party that breaks a tie between the nodes (WitnessType etcd).
import { defineSpec, type AnySpec } from '../spec.js';

export const witnessSpecs: AnySpec[] = [
  defineSpec({
    id: 'witness:check',
    summary: 'Does this node reach the witness (every endpoint, with latency), and which failover groups does it own there?',
    examples: ['mccs witness check', 'mccs witness check --json', 'mccs witness check --host 10.0.0.2 -u admin'],
    args: [],
    method: 'witness.check',
    params: () => ({}),
    render: 'witness',
  }),
];
