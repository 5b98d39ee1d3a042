// mcres / mccs res: resources.
import type { Envelope } from '../../api/protocol.js';
import { arg, changeOptions, defineSpec, type AnySpec, type ArgSpec, type Input, type RunContext } from '../spec.js';

const resource: ArgSpec = { name: 'resource', summary: 'Resource name.', required: true };
const optionalResource: ArgSpec = { ...resource, required: false, summary: 'Resource name; default: every resource.' };
const groupFilter = { group: { kind: 'string', char: 'g', summary: 'Only the resources of this group (MCCS -g).' } } as const;
const force = { force: { kind: 'boolean', summary: 'Act even where it is unsafe (logged).' } } as const;

export const resSpecs: AnySpec[] = [
  defineSpec({
    id: 'res:list',
    summary: 'List resources, or every attribute of one resource (resolved: resource, else Types, else default).',
    examples: ['mcres list', 'mcres list --group web', 'mcres list web-ip --json', 'mcres -list web-ip'],
    args: [optionalResource],
    flags: groupFilter,
    method: 'res.list',
    params: (i) => ({ ...(i.args.resource ? { resource: i.args.resource } : {}), ...(typeof i.flags.group === 'string' ? { group: i.flags.group } : {}) }),
    render: 'resources',
  }),
  defineSpec({
    id: 'res:state',
    summary: 'State of resources on each node, with the one-line reason of the last observation.',
    examples: ['mcres state', 'mcres state web-ip --node node1', 'mcres -state -g web'],
    args: [optionalResource],
    flags: groupFilter,
    node: true,
    method: 'res.state',
    params: (i) => ({
      ...(i.args.resource ? { resource: i.args.resource } : {}),
      ...(typeof i.flags.group === 'string' ? { group: i.flags.group } : {}),
      ...(typeof i.flags.node === 'string' ? { node: i.flags.node } : {}),
    }),
    render: 'resourceStates',
  }),
  ...(['online', 'offline', 'clear'] as const).map((verb) =>
    defineSpec({
      id: `res:${verb}`,
      summary: {
        online: 'Bring a resource online, with the children it STRONGly depends on.',
        offline: 'Take a resource offline, with the parents that STRONGly depend on it.',
        clear: 'Clear FAULTED on a resource (and its restart count) on a node.',
      }[verb],
      examples: [`mcres ${verb} web-ip --node node1`, `mcres -${verb} web-ip -n node1`],
      args: [resource],
      node: true,
      change: true,
      ...(verb === 'clear' ? {} : { flags: force }),
      method: `res.${verb}`,
      params: (i: Input) => ({ resource: arg(i, 'resource'), ...changeOptions(i) }),
    }),
  ),
  defineSpec({
    id: 'res:probe',
    summary: 'Run one monitor of a resource now and show what it found.',
    examples: ['mcres probe web-ip', 'mcres -probe web-ip -n node1'],
    args: [resource],
    node: true,
    method: 'res.probe',
    params: (i) => ({ resource: arg(i, 'resource'), ...(typeof i.flags.node === 'string' ? { node: i.flags.node } : {}) }),
    render: 'probe',
  }),
  ...(['enable', 'disable'] as const).map((verb) =>
    defineSpec({
      id: `res:${verb}`,
      summary: verb === 'enable' ? 'Enable a resource.' : 'Disable a resource: neither started, stopped nor monitored.',
      examples: [`mcres ${verb} web-ip`, `mcres -${verb} web-ip`],
      args: [resource],
      change: true,
      method: `res.${verb}`,
      params: (i: Input) => ({ resource: arg(i, 'resource'), ...changeOptions(i) }),
    }),
  ),
  defineSpec({
    id: 'res:add',
    summary: 'Add a resource of a type to a group.',
    examples: ['mcres add web-app --type Process --group web Path=/usr/bin/node Arguments=/srv/web/server.js', 'mcres -add web-app -t Process -g web -a Path /usr/bin/node'],
    args: [resource],
    flags: {
      type: { kind: 'string', char: 't', required: true, summary: 'Resource type: NIC, IP, Process, Application, Service, SharedDisk… (MCCS -t).' },
      group: { kind: 'string', char: 'g', required: true, summary: 'The group it joins (MCCS -g).' },
    },
    attributes: { required: false, summary: 'Attr=value: resource attributes.' },
    change: true,
    method: 'res.add',
    params: (i) => ({ resource: arg(i, 'resource'), type: String(i.flags.type), group: String(i.flags.group), attributes: i.attributes, ...changeOptions(i) }),
  }),
  defineSpec({
    id: 'res:delete',
    summary: 'Delete a resource (refused while it is online or linked, unless --force).',
    examples: ['mcres delete web-app', 'mcres -delete web-app'],
    args: [resource],
    flags: force,
    change: true,
    method: 'res.delete',
    params: (i) => ({ resource: arg(i, 'resource'), ...changeOptions(i) }),
  }),
  defineSpec({
    id: 'res:modify',
    summary: 'Change resource attributes.',
    examples: ['mcres modify web-app RestartLimit=2', 'mcres -modify web-app -a RestartLimit 2'],
    args: [resource],
    attributes: { required: true, summary: 'Attr=value: the attributes to set.' },
    change: true,
    method: 'res.modify',
    params: (i) => ({ resource: arg(i, 'resource'), attributes: i.attributes, ...changeOptions(i) }),
  }),
  defineSpec({
    id: 'res:monitor',
    summary: 'Watch resource states live (every 3 s by default) until Ctrl-C. With --json: one envelope per line per round.',
    examples: ['mcres monitor', 'mcres monitor web --interval 1', 'mcres -monitor web -t 1'],
    args: [{ name: 'group', summary: 'Only this group.', required: false }],
    flags: {
      interval: { kind: 'integer', char: 'i', min: 1, summary: 'Seconds between rounds (MCCS -t; default 3).' },
      count: { kind: 'integer', char: 'c', min: 1, summary: 'Stop after this many rounds.' },
    },
    method: 'res.state',
    params: (i) => (i.args.group ? { group: i.args.group } : {}),
    render: 'resourceStates',
    run: monitor,
  }),
];

async function monitor(input: Input, ctx: RunContext): Promise<Envelope | undefined> {
  const { renderResult } = await import('../render.js');
  const intervalMs = (typeof input.flags.interval === 'number' ? input.flags.interval : 3) * 1000;
  const count = typeof input.flags.count === 'number' ? input.flags.count : Infinity;
  const params = input.args.group ? { group: input.args.group } : {};
  let stop = false;
  let wake: () => void = () => {};
  const onInt = (): void => {
    stop = true;
    wake();
  };
  process.once('SIGINT', onInt);
  let last: Envelope = { ok: true, changed: false, result: [] };
  try {
    for (let round = 0; round < count && !stop; round++) {
      if (round > 0) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, intervalMs);
          wake = () => (clearTimeout(t), r());
        });
      }
      if (stop) break;
      last = await ctx.call('res.state', params);
      if (!last.ok) break;
      if (input.flags.json) {
        ctx.io.stdout(JSON.stringify(last) + '\n');
      } else {
        if (ctx.io.isTTY) ctx.io.stdout('\x1b[H\x1b[2J');
        ctx.io.stdout(`${new Date().toISOString()}  every ${intervalMs / 1000} s${ctx.io.isTTY ? ' (Ctrl-C to stop)' : ''}\n`);
        ctx.io.stdout(renderResult('resourceStates', last.result, { input, changed: false, io: ctx.io }) + '\n');
      }
    }
  } finally {
    process.removeListener('SIGINT', onInt);
  }
  // Rounds were printed as they came; the caller prints only an error.
  return last.ok ? undefined : last;
}
