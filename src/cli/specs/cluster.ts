// mccluster / mccs cluster: the cluster as a whole.
import type { Envelope } from '../../api/protocol.js';
import { MccsError } from '../../model/errors.js';
import { changeOptions, defineSpec, type AnySpec, type Input } from '../spec.js';

export const clusterSpecs: AnySpec[] = [
  defineSpec({
    id: 'cluster:status',
    summary: 'Nodes, links, groups and resources at a glance, with warnings (jeopardy, no fencing…).',
    examples: ['mccluster status', 'mccluster status --json', 'mccluster -status'],
    args: [],
    method: 'cluster.status',
    params: () => ({}),
    render: 'status',
  }),
  defineSpec({
    id: 'cluster:events',
    summary: 'The event log: one line per decision (time, node, subject, old → new state, cause, rule).',
    examples: ['mccluster events --group web --since 2024-05-01T03:00:00Z', 'mccluster events --all --group web --limit 30', 'mccluster events --resource web-ip --limit 20 --json', 'mccluster -events -g web'],
    args: [],
    flags: {
      group: { kind: 'string', char: 'g', summary: 'Only events of this group (MCCS -g).' },
      resource: { kind: 'string', char: 'r', summary: 'Only events of this resource (MCCS -r).' },
      node: { kind: 'string', char: 'n', summary: 'Only events recorded by this node (MCCS -n).' },
      since: { kind: 'string', summary: 'From this time on (ISO 8601, e.g. 2024-05-01T03:00:00Z).' },
      until: { kind: 'string', summary: 'Up to this time (ISO 8601).' },
      limit: { kind: 'integer', min: 1, summary: 'At most this many (the most recent).' },
      all: { kind: 'boolean', summary: "Every node's event log, merged by time (the peer's read through its engine)." },
    },
    method: 'cluster.events',
    params: (i) => {
      for (const f of ['since', 'until'] as const) {
        const v = i.flags[f];
        if (typeof v === 'string' && Number.isNaN(Date.parse(v))) {
          throw new MccsError('USAGE', `--${f} '${v}' is not a time`, ['use ISO 8601, e.g. 2024-05-01T03:12:00Z']);
        }
      }
      const out: { group?: string; resource?: string; node?: string; since?: string; until?: string; limit?: number; all?: boolean } = {};
      if (i.flags.all === true) out.all = true;
      if (typeof i.flags.group === 'string') out.group = i.flags.group;
      if (typeof i.flags.resource === 'string') out.resource = i.flags.resource;
      if (typeof i.flags.node === 'string') out.node = i.flags.node;
      if (typeof i.flags.since === 'string') out.since = i.flags.since;
      if (typeof i.flags.until === 'string') out.until = i.flags.until;
      if (typeof i.flags.limit === 'number') out.limit = i.flags.limit;
      return out;
    },
    render: 'events',
  }),
  defineSpec({
    id: 'cluster:modify',
    summary: 'Change cluster attributes (HBInterval, HBTimeout, StartAloneTimeout, FenceProgram…).',
    examples: ['mccluster modify HBTimeout=2000', 'mccluster -modify -a HBTimeout 2000'],
    args: [],
    attributes: { required: true, summary: 'Attr=value: the attributes to set.' },
    change: true,
    method: 'cluster.modify',
    params: (i) => ({ attributes: i.attributes, ...changeOptions(i) }),
  }),
  defineSpec({
    id: 'cluster:attributes',
    summary: 'Every attribute of main.json: scope, type, default, editable, description (no engine needed).',
    examples: ['mccluster attributes', 'mccluster attributes --scope group', 'mccluster attributes --json'],
    args: [],
    flags: { scope: { kind: 'string', options: ['cluster', 'node', 'group', 'resource', 'type', 'dependency'], summary: 'Only this scope.' } },
    method: 'cluster.status',
    params: () => ({}),
    render: 'attributes',
    run: attributes,
  }),
];

async function attributes(input: Input): Promise<Envelope> {
  const a = await import('../../model/attributes.js');
  const scopes = {
    cluster: a.clusterAttributes,
    node: a.nodeAttributes,
    group: a.groupAttributes,
    resource: a.resourceAttributes,
    type: a.typeAttributes,
    dependency: a.dependencyAttributes,
  };
  const rows = Object.entries(scopes)
    .filter(([scope]) => input.flags.scope === undefined || input.flags.scope === scope)
    .flatMap(([scope, list]) => list.map((d) => ({ scope, ...d })));
  return { ok: true, changed: false, result: rows };
}
