// `mcnode rename OLD NEW` / `mcnode -modify -n OLD -a NodeName NEW`: one
// configuration change through Engine.modifyConfig that renames the node in
// Nodes, every NodeList and AutoStartNode, on every node (the change is
// pushed to the peer like any other). The running engines then take the new
// name by restarting in process (src/daemon/reload.ts); services keep running.
import { ACTIVE_STATES, groupState } from '../engine/policy/group-state.js';
import { findDeclaration, nodeAttributes } from '../model/attributes.js';
import { cloneConfig, validateConfig } from '../model/config.js';
import { MccsError } from '../model/errors.js';
import { renameNodeIn } from '../model/rename.js';
import { change, name, registerMethod, type MethodContext, type MethodOutcome } from './methods.js';

type Params = Record<string, unknown>;

async function rename(ctx: MethodContext, p: Params): Promise<MethodOutcome> {
  const { engine, principal } = ctx;
  const from = engine.checkNode(p.node as string);
  const to = p.name as string;
  const pattern = findDeclaration(nodeAttributes, 'NodeName')!.pattern!;
  if (!new RegExp(pattern).test(to)) throw new MccsError('INVALID', `'${to}' is not a valid node name (letters, digits, _ . -; starting with a letter; at most 63)`);
  if (to === from) return { changed: false, result: { from, to, ConfigVersion: engine.config.ConfigVersion, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
  if (engine.config.Nodes.some((n) => n.NodeName === to)) throw new MccsError('CONFLICT', `a node named '${to}' already exists`, ['choose another name']);
  // A group online (or on its way) there would be left without its node.
  const held = engine.config.Groups.filter((g) => g.NodeList.includes(from) && ACTIVE_STATES.includes(groupState(engine.config, g, engine.observed, from)));
  if (held.length > 0) {
    throw new MccsError(
      'CONFLICT',
      `node ${from} runs ${held.map((g) => `group ${g.GroupName} (${groupState(engine.config, g, engine.observed, from)})`).join(', ')}: renaming it now would leave ${held.length === 1 ? 'that group' : 'those groups'} without its node`,
      [`move them first: mcnode evacuate ${from} --wait`, ...held.map((g) => `or: mcgrp offline ${g.GroupName} --node ${from}`)],
    );
  }
  // Every node must take the new name in the same change.
  const absent = engine.config.Nodes.map((n) => n.NodeName).filter((n) => engine.observed.nodes[n]?.state !== 'RUNNING');
  if (absent.length > 0) {
    throw new MccsError('CONFLICT', `node ${absent.join(', ')} is not RUNNING: it would not learn the new name`, ['start its engine first (mccluster status shows every node RUNNING)']);
  }
  const cause = `operator ${principal.name}: node rename ${from} → ${to}`;
  if (p.dryRun === true) {
    const draft = cloneConfig(engine.config);
    renameNodeIn(draft, from, to);
    draft.ConfigVersion += 1;
    const v = validateConfig(draft);
    if (!v.ok) throw new MccsError('INVALID', `the rename would make the configuration invalid:\n  ${v.errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}`, ['nothing was changed'], v.errors);
    return { changed: false, result: { dryRun: true, wouldChange: true, from, to, groups: draft.Groups.filter((g) => g.NodeList.includes(to)).map((g) => g.GroupName) } };
  }
  const r = await engine.modifyConfig((c) => renameNodeIn(c, from, to), cause);
  return { changed: r.changed, result: { from, to, ConfigVersion: r.ConfigVersion, restart: 'each engine restarts under the new names now; services keep running' } };
}

registerMethod('node.rename', {
  readOnly: false,
  config: true,
  params: { name: { type: 'string', minLength: 1, maxLength: 63 }, ...change },
  required: ['node', 'name'],
  handler: rename,
});
