// node.license: the license key of one node or of every node (not enforced).
import { change, name } from '../methods.js';
import { configChange, str, type Spec } from './config-change.js';

export const nodeLicense: Spec = {
  readOnly: false,
  params: { node: name, all: { type: 'boolean' }, license: { type: 'string', minLength: 1, maxLength: 4096 }, dryRun: change.dryRun, wait: change.wait, timeout: change.timeout, force: change.force, ifVersion: change.ifVersion },
  required: ['license'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    if (typeof p.node === 'string') engine.checkNode(p.node);
    // MCCS `-license -n NODE -all KEY`: every node; without -n: the local node.
    const nodes = p.all === true ? engine.config.Nodes.map((n) => n.NodeName) : [typeof p.node === 'string' ? p.node : engine.localNode];
    const license = str(p, 'license');
    return configChange(ctx, p, `node license ${nodes.join(', ')}`, (c) => {
      for (const n of c.Nodes) if (nodes.includes(n.NodeName) && n.License !== license) n.License = license;
    }, { nodes, enforced: false });
  },
};
