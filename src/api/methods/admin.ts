// The administration methods of issue 5 (SPEC §6): enable/disable, lock/unlock,
// add/delete/link/unlink of groups and resources, resource modify, node
// license/support/evacuate/add/remove and the users of the API, one file per topic in
// this folder. Registered here into the method table of methods.ts.
//
// Every method is idempotent (asking for what already holds answers
// changed:false and writes nothing), takes dryRun (reports what would change,
// changes nothing), and fails with one clear code: NOT_FOUND for unknown
// names and attributes, INVALID for a value that makes the configuration
// invalid (the validator's JSON paths are passed through), CONFLICT for what
// the current state refuses (exists with another definition, online, has
// dependencies, read-only attribute, last Administrator). Configuration changes
// go through Engine.modifyConfig: validated whole on a copy, written
// atomically, nothing half-applied.
import { registerMethod } from '../methods.js';
import { grpLink, grpModifyLink, grpUnlink } from './dependencies.js';
import { nodeEvacuate } from './evacuate.js';
import { grpAdd, grpDelete, groupEnable } from './groups.js';
import { nodeLicense } from './license.js';
import { nodeAdd } from './node-add.js';
import { nodeRemove } from './node-remove.js';
import { groupLock } from './locks.js';
import { resAdd, resDelete, resEnable, resModify } from './resources.js';
import { nodeSupport } from './support.js';
import { usersAdd, usersDelete, usersList, usersPassword } from './users.js';
import type { Spec } from './config-change.js';

const admin: Record<string, Spec> = {
  'grp.enable': groupEnable(true),
  'grp.disable': groupEnable(false),
  'grp.lock': groupLock(true),
  'grp.unlock': groupLock(false),
  'grp.add': grpAdd,
  'grp.delete': grpDelete,
  'grp.link': grpLink,
  'grp.unlink': grpUnlink,
  'grp.modify-link': grpModifyLink,
  'res.enable': resEnable(true),
  'res.disable': resEnable(false),
  'res.add': resAdd,
  'res.delete': resDelete,
  'res.modify': resModify,
  'node.license': nodeLicense,
  'node.evacuate': nodeEvacuate,
  'node.support': nodeSupport,
  'node.add': nodeAdd,
  'node.remove': nodeRemove,
  'users.list': usersList,
  'users.add': usersAdd,
  'users.delete': usersDelete,
  'users.password': usersPassword,
};

/** What changes main.json or users.json: ordered by the coordinating node. */
const CONFIG_METHODS = new Set(['grp.enable', 'grp.disable', 'grp.lock', 'grp.unlock', 'grp.add', 'grp.delete', 'grp.link', 'grp.unlink', 'grp.modify-link', 'res.enable', 'res.disable', 'res.add', 'res.delete', 'res.modify', 'node.license', 'node.add', 'node.remove', 'users.add', 'users.delete', 'users.password']);

for (const [method, spec] of Object.entries(admin)) registerMethod(method, { ...spec, config: CONFIG_METHODS.has(method) });
