// What the page may ask the engine through the console. Everything else
// (users, join tokens, support archives, the cluster secret) is not reachable
// from the browser at all.

/** Reads: any logged-in user. */
export const READ_METHODS = new Set(['cluster.status', 'cluster.events', 'grp.list', 'grp.state', 'res.list', 'res.state', 'node.list']);

/** Actions and changes: Administrator only (the engine checks the role again: they go with the operator's credentials). */
export const CHANGE_METHODS = new Set([
  'grp.online',
  'grp.offline',
  'grp.switch',
  'grp.freeze',
  'grp.unfreeze',
  'grp.lock',
  'grp.unlock',
  'grp.clear',
  'grp.enable',
  'grp.disable',
  'grp.modify',
  'grp.link',
  'grp.unlink',
  'res.online',
  'res.offline',
  'res.clear',
  'res.probe',
  'res.enable',
  'res.disable',
  'res.add',
  'res.delete',
  'res.modify',
  'node.modify',
  'node.evacuate',
  'node.rename',
  'cluster.modify',
]);

/** Changes of main.json: the page passes the ConfigVersion it showed (ifVersion), so a concurrent change is refused, not overwritten. */
export const CONFIG_METHODS = new Set(['grp.modify', 'grp.link', 'grp.unlink', 'res.add', 'res.delete', 'res.modify', 'node.modify', 'node.rename', 'cluster.modify']);
