// Every command the CLI knows, by oclif id ("grp:online").
import type { AnySpec } from '../spec.js';
import { clusterSpecs } from './cluster.js';
import { configSpecs } from './config.js';
import { loginSpecs } from './login.js';
import { grpSpecs } from './grp.js';
import { nodeSpecs } from './node.js';
import { resSpecs } from './res.js';
import { usersSpecs } from './users.js';
import { witnessSpecs } from './witness.js';

export const specs: AnySpec[] = [...nodeSpecs, ...grpSpecs, ...resSpecs, ...clusterSpecs, ...usersSpecs, ...witnessSpecs, ...configSpecs, ...loginSpecs];

const byId = new Map(specs.map((s) => [s.id, s]));

export function findSpec(id: string): AnySpec | undefined {
  return byId.get(id);
}

export function spec(id: string): AnySpec {
  const s = byId.get(id);
  if (!s) throw new Error(`no command spec ${id}`);
  return s;
}
