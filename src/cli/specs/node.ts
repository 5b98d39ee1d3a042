// mcnode / mccs node: nodes.
import type { Envelope } from '../../api/protocol.js';
import { MccsError } from '../../model/errors.js';
import { arg, changeOptions, defineSpec, type AnySpec, type Input, type RunContext } from '../spec.js';

export const nodeSpecs: AnySpec[] = [
  defineSpec({
    id: 'node:list',
    summary: 'List nodes, or every attribute of one node.',
    examples: ['mcnode list', 'mcnode list node1 --json', 'mcnode -list -n node1'],
    args: [{ name: 'node', summary: 'Node name (MCCS -n); default: every node.', required: false }],
    method: 'node.list',
    params: (i) => (i.args.node ? { node: i.args.node } : {}),
    render: 'nodes',
  }),
  defineSpec({
    id: 'node:modify',
    summary: 'Change node attributes.',
    description:
      'Attribute names match in any case and MCCS spellings are accepted (IsolationTestAddress); BootMode takes the MCCS BOOLEAN form (true = AUTO, false = MANUAL). HostID, LicenseType, PrimaryHB, SecondaryHB and StandAlone are read-only as in MCCS; PrimaryHB/SecondaryHB change only with --force (applied at the next engine start: see "Changing a heartbeat address" in mcnode(8)). NodeName renames the node (same as mcnode rename).',
    examples: [
      'mccs node modify node1 IsolationTestAddresses=10.0.0.254',
      'mcnode -modify -n node1 -a IsolationTestAddresses 10.0.0.254',
      'mcnode -modify -n node1 -a IsolationTestAddress 10.0.0.254',
      'mcnode -modify -n node1 -a BootMode false',
      'mcnode -modify -n node2 -a NodeName db2',
      'mcnode modify node2 PrimaryHB=10.0.5.2 --force',
    ],
    args: [{ name: 'node', summary: 'Node name (MCCS -n).', required: true }],
    attributes: { required: true, summary: 'Attr=value: the attributes to set.' },
    flags: { force: { kind: 'boolean', summary: 'Also change PrimaryHB/SecondaryHB, read-only otherwise (applied at the next engine start).' } },
    change: true,
    method: 'node.modify',
    params: (i) => ({ ...changeOptions(i), node: arg(i, 'node'), attributes: i.attributes }),
  }),
  defineSpec({
    id: 'node:rename',
    summary: 'Rename a node everywhere at once: Nodes, every NodeList and AutoStartNode, status and events; the engines take the new name at once (services keep running).',
    description:
      'One configuration change on every node. Refused while a group is online, starting or stopping on the node (it would be left without its node: switch it away first, or mcnode evacuate), while a node of the cluster is not RUNNING (it would not learn the name), or when the new name is taken. After it, each engine restarts its cluster layer under the new name (like systemctl restart mccs: services keep running and are adopted); a daemon started with --node OLD or MCCS_NODE=OLD finds its new name at its next start.',
    examples: ['mcnode rename node2 db2', 'mcnode -modify -n node2 -a NodeName db2', 'mcnode rename node2 db2 --dry-run'],
    args: [
      { name: 'node', summary: 'The current name (MCCS -n).', required: true },
      { name: 'name', summary: 'The new name.', required: true },
    ],
    change: true,
    method: 'node.rename',
    params: (i) => ({ ...changeOptions(i), node: arg(i, 'node'), name: arg(i, 'name') }),
  }),
  defineSpec({
    id: 'node:remove',
    summary: 'Take a node out of the cluster (Nodes) on every node at once; the running engines drop it without a restart.',
    description:
      'One configuration change on every RUNNING node. Refused (exit 5, naming each reason) while a group lists the node in its NodeList or AutoStartNode (edit them first: mcgrp modify GROUP NodeList=…), while a group is online, partial, starting or stopping there (switch it away first), while the node\'s engine runs (stop it first: systemctl stop mccs there; --force removes it anyway, and its engine must then be stopped), and for the node that carries out the change (run the command on another node). A node not in Nodes is already removed: exit 0, changed false. The removed node keeps its files; to bring it back, run mccs init --join ADDRESS --token … --fingerprint … --node NODE --primary-hb ADDRESS --force on it (mccs join-token on a running node prints the command).',
    examples: ['mcnode remove node3', 'mcnode -remove -n node3', 'mcnode remove node3 --dry-run --json', 'mcnode remove node3 --if-version 12'],
    args: [{ name: 'node', summary: 'Node name (MCCS -n).', required: true }],
    flags: { force: { kind: 'boolean', summary: 'Remove it although its engine is RUNNING (stop that engine right after).' } },
    change: true,
    method: 'node.remove',
    params: (i) => ({ ...changeOptions(i), node: arg(i, 'node') }),
  }),
  defineSpec({
    id: 'node:license',
    summary: 'Store a license key (attribute License). Kept for MCCS compatibility only: mccs never checks or enforces it.',
    examples: ['mcnode license node1 KEY', 'mcnode license KEY', 'mcnode license --all KEY', 'mcnode -license -n node1 KEY', 'mcnode -license -n node1 -all KEY', 'mcnode -l KEY'],
    args: [
      { name: 'node', summary: 'Node name (MCCS -n); default: the local node; with --all any node may be named.', required: false },
      { name: 'license', summary: 'The license key.', required: false },
    ],
    flags: { all: { kind: 'boolean', summary: 'Every node (MCCS -all).' } },
    change: true,
    method: 'node.license',
    params: (i) => {
      // The last word is the key; a word before it names the node (MCCS `-license -n NODE [-all] KEY`);
      // without one the key is for the local node (`mcnode -license KEY`, `mcnode -l KEY`).
      const words = [i.args.node, i.args.license].filter((w): w is string => w !== undefined);
      const all = i.flags.all === true;
      if (words.length === 0) throw new MccsError('USAGE', 'missing license key: mcnode license [NODE] KEY, or mcnode license --all KEY');
      return { ...changeOptions(i), ...(all ? { all: true } : {}), ...(words.length === 2 ? { node: words[0] } : {}), license: words[words.length - 1] };
    },
  }),
  defineSpec({
    id: 'node:support',
    summary: 'Download a support archive (tar.gz: logs, event log, config with secrets removed, states, system facts).',
    examples: ['mcnode support --path /tmp', 'mcnode support node2 --path /tmp/node2.tar.gz', 'mcnode -support -n node1 -p /tmp', 'mcnode -support (writes to your home directory)'],
    args: [{ name: 'node', summary: 'Node name (MCCS -n); default: the local node.', required: false }],
    flags: {
      path: { kind: 'string', char: 'p', summary: "Where to write it: a directory or a file name (MCCS -p; default: the user's home directory, as in MCCS)." },
      all: { kind: 'boolean', summary: 'Every node (MCCS -all).' },
    },
    method: 'node.support',
    params: (i) => ({ ...(i.args.node ? { node: i.args.node } : {}), ...(i.flags.all ? { all: true } : {}) }),
    render: 'support',
    run: support,
  }),
  defineSpec({
    id: 'node:evacuate',
    summary: "Switch every failover group online on a node to another node (before maintenance or a planned stop).",
    examples: ['mcnode evacuate node1 --wait', 'mcnode -evacuate -n node1'],
    args: [{ name: 'node', summary: 'Node name (MCCS -n).', required: true }],
    change: true,
    method: 'node.evacuate',
    params: (i) => ({ ...changeOptions(i), node: arg(i, 'node') }),
  }),
];

async function support(input: Input, ctx: RunContext): Promise<Envelope> {
  const call = () => ctx.call('node.support', { ...(input.args.node ? { node: input.args.node } : {}), ...(input.flags.all ? { all: true } : {}) });
  // --all gathers every node's archive: a long call, shown step by step.
  const env = input.flags.all ? await (await import('../progress.js')).withProgress(ctx, input, { title: 'support archive of every node' }, call) : await call();
  if (!env.ok) return env;
  const { statSync, writeFileSync } = await import('node:fs');
  const { join, basename, resolve } = await import('node:path');
  // MCCS: without -p the archive goes to the user's home directory.
  const { homedir } = await import('node:os');
  let path = resolve(typeof input.flags.path === 'string' ? input.flags.path : (ctx.io.env.HOME ?? homedir()));
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // A file name to create.
  }
  if (isDir) path = join(path, basename(env.result.fileName));
  const data = Buffer.from(env.result.contentBase64, 'base64');
  try {
    writeFileSync(path, data, { mode: 0o600 });
  } catch (e) {
    throw new MccsError('FAILED', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { ok: true, changed: false, result: { path, bytes: data.length } };
}
