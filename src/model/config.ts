// Loading, validating and writing main.json. Every load and every change is
// validated in full; an invalid file is refused with the JSON path and reason
// of every error, and the running configuration is kept by the caller.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { typeAttributes } from './attributes.js';
import { readConfinedFile } from './confined-file.js';
import { writeDurable } from './durable-file.js';
import { MccsError } from './errors.js';
import { findCycle } from './graph.js';
import { parseJsonStrict } from './json-text.js';
import { resourceType, resourceTypeNames, typeAliases } from './resource-types.js';
import { mainSchema, MAX_NODES_WITHOUT_WITNESS, objectSchema, PROGRAM_PATTERN, resourceSchema } from './schema.js';
import type { MainConfig } from './types.js';

export interface ConfigError {
  /** JSON pointer into main.json, e.g. "/Groups/0/Resources/2/Port". */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; config: MainConfig } | { ok: false; errors: ConfigError[] };

interface Validators {
  main: ValidateFunction;
  resource: Map<string, ValidateFunction>;
  typeDefaults: Map<string, ValidateFunction>;
}

let compiled: Validators | undefined;

function validators(): Validators {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const typeNames = resourceTypeNames();
  const resource = new Map<string, ValidateFunction>();
  const typeDefaults = new Map<string, ValidateFunction>();
  for (const name of typeNames) {
    const declared = resourceType(name);
    if (!declared) continue;
    resource.set(name, ajv.compile(resourceSchema(declared.attributes)));
    const shared = objectSchema([...typeAttributes, ...declared.attributes]);
    typeDefaults.set(name, ajv.compile({ ...shared, required: [] }));
  }
  compiled = { main: ajv.compile(mainSchema(typeNames)), resource, typeDefaults };
  return compiled;
}

function describe(e: ErrorObject, base = ''): ConfigError {
  const path = base + e.instancePath;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: `${path}/${String(e.params.additionalProperty)}`, message: `unknown attribute '${String(e.params.additionalProperty)}'` };
    case 'required':
      return { path, message: `missing required attribute '${String(e.params.missingProperty)}'` };
    case 'enum':
      return { path, message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern':
      if (e.params.pattern === PROGRAM_PATTERN) return { path, message: 'a program given as a string is one absolute executable path, not a command line: give arguments in the array form ["/path/program", "arg", …]' };
      return { path, message: e.message ?? e.keyword };
    case 'propertyNames':
      return { path: `${path}/${String(e.params.propertyName)}`, message: `unknown resource type '${String(e.params.propertyName)}'` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/** Full validation: schema, per-type attributes, then cross-references. */
export function validateConfig(raw: unknown): ValidationResult {
  const v = validators();
  const errors: ConfigError[] = [];
  const shapeOk = v.main(raw);
  if (!shapeOk) {
    // propertyNames reports twice (the name and the enum under it): keep one line per path.
    errors.push(...(v.main.errors ?? []).filter((e) => !(e.keyword === 'enum' && e.propertyName !== undefined)).map((e) => describe(e)));
  }
  // Per-type checks run even when the shape is wrong elsewhere, so every error is reported at once.
  const loose = (raw ?? {}) as Partial<MainConfig>;
  if (loose.Types && typeof loose.Types === 'object') {
    for (const [type, values] of Object.entries(loose.Types)) {
      const check = v.typeDefaults.get(type);
      if (check && !check(values)) errors.push(...(check.errors ?? []).map((e) => describe(e, `/Types/${type}`)));
    }
  }
  (Array.isArray(loose.Groups) ? loose.Groups : []).forEach((g, gi) =>
    (Array.isArray(g?.Resources) ? g.Resources : []).forEach((r, ri) => {
      const check = v.resource.get(r?.Type);
      if (check && !check(r)) errors.push(...(check.errors ?? []).map((e) => describe(e, `/Groups/${gi}/Resources/${ri}`)));
    }),
  );
  if (shapeOk) errors.push(...crossReferenceErrors(raw as MainConfig));
  return errors.length ? { ok: false, errors: dedupe(errors) } : { ok: true, config: raw as MainConfig };
}

function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function crossReferenceErrors(config: MainConfig): ConfigError[] {
  const errors: ConfigError[] = [];
  const nodeNames = new Set<string>();
  config.Nodes.forEach((n, i) => {
    if (nodeNames.has(n.NodeName)) errors.push({ path: `/Nodes/${i}/NodeName`, message: `node '${n.NodeName}' is declared twice` });
    nodeNames.add(n.NodeName);
  });
  const ping = Number(config.Cluster.PingInterval ?? 100);
  const hbTimeout = Number(config.Cluster.HBTimeout ?? 1000);
  if (hbTimeout < 2 * ping) {
    errors.push({ path: '/Cluster/HBTimeout', message: `HBTimeout ${hbTimeout} ms must be at least twice PingInterval ${ping} ms, or one lost ping would look like a dead peer` });
  }
  if (config.Nodes.length > MAX_NODES_WITHOUT_WITNESS && config.Cluster.WitnessType !== 'etcd') {
    errors.push({ path: '/Nodes', message: `${config.Nodes.length} nodes need Cluster WitnessType etcd (WitnessType is ${String(config.Cluster.WitnessType ?? 'none')}): with more than ${MAX_NODES_WITHOUT_WITNESS} nodes, membership and group ownership are kept in etcd; set WitnessType and WitnessEndpoints, or keep at most ${MAX_NODES_WITHOUT_WITNESS} nodes` });
  }
  if (config.Cluster.WitnessType === 'etcd') {
    if (!config.Cluster.WitnessEndpoints) errors.push({ path: '/Cluster/WitnessEndpoints', message: 'WitnessType etcd needs WitnessEndpoints (comma list of http(s)://host:port of every etcd member)' });
    if (Boolean(config.Cluster.WitnessCert) !== Boolean(config.Cluster.WitnessKey)) errors.push({ path: '/Cluster/WitnessKey', message: 'WitnessCert and WitnessKey go together: set both or neither' });
  }
  const limit = Number(config.Cluster.GroupLimit ?? 32);
  if (config.Groups.length > limit) errors.push({ path: '/Groups', message: `${config.Groups.length} groups exceed GroupLimit ${limit}` });
  const groupNames = new Set<string>();
  const resourceOwner = new Map<string, string>();
  config.Groups.forEach((g, gi) => {
    const at = `/Groups/${gi}`;
    if (groupNames.has(g.GroupName)) errors.push({ path: `${at}/GroupName`, message: `group '${g.GroupName}' is declared twice` });
    groupNames.add(g.GroupName);
    if (g.NodeList.length === 0) errors.push({ path: `${at}/NodeList`, message: 'NodeList is empty' });
    g.NodeList.forEach((n, ni) => {
      if (!nodeNames.has(n)) errors.push({ path: `${at}/NodeList/${ni}`, message: `unknown node '${n}' (not in Nodes)` });
      if (g.NodeList.indexOf(n) !== ni) errors.push({ path: `${at}/NodeList/${ni}`, message: `node '${n}' is listed twice` });
    });
    if (g.AutoStartNode && !g.NodeList.includes(g.AutoStartNode)) {
      errors.push({ path: `${at}/AutoStartNode`, message: `AutoStartNode '${g.AutoStartNode}' is not in the group's NodeList` });
    }
    const local = new Map(g.Resources.map((r) => [r.ResName, r]));
    g.Resources.forEach((r, ri) => {
      const owner = resourceOwner.get(r.ResName);
      if (owner !== undefined) {
        errors.push({ path: `${at}/Resources/${ri}/ResName`, message: owner === g.GroupName ? `resource '${r.ResName}' is declared twice in group '${g.GroupName}'` : `resource '${r.ResName}' is already in group '${owner}' (a resource belongs to one group)` });
      }
      resourceOwner.set(r.ResName, g.GroupName);
      if (typeof r.NICResName === 'string') {
        const nic = local.get(r.NICResName);
        if (!nic || (typeAliases[nic.Type] ?? nic.Type) !== 'NIC') {
          errors.push({ path: `${at}/Resources/${ri}/NICResName`, message: `'${r.NICResName}' is not a NIC resource of group '${g.GroupName}'` });
        }
      }
    });
    const links = new Set<string>();
    (g.Dependencies ?? []).forEach((d, di) => {
      for (const end of ['Parent', 'Child'] as const) {
        if (!local.has(d[end])) errors.push({ path: `${at}/Dependencies/${di}/${end}`, message: `unknown resource '${d[end]}' (not in group '${g.GroupName}')` });
      }
      if (d.Parent === d.Child) errors.push({ path: `${at}/Dependencies/${di}`, message: `resource '${d.Parent}' cannot depend on itself` });
      const key = `${d.Parent}\u0000${d.Child}`;
      if (links.has(key)) errors.push({ path: `${at}/Dependencies/${di}`, message: `dependency ${d.Parent} → ${d.Child} is declared twice` });
      links.add(key);
    });
    const cycle = errors.length ? null : findCycle(g);
    if (cycle) errors.push({ path: `${at}/Dependencies`, message: `dependency cycle: ${cycle.join(' → ')}` });
  });
  return errors;
}

/** Parses and validates; throws MccsError INVALID (exit 3) listing every error. */
export function parseConfig(text: string, source = 'main.json'): MainConfig {
  // Syntax errors by position only (never quoting the file), repeated keys by JSON path.
  const raw = parseJsonStrict(text, source);
  const result = validateConfig(raw);
  if (!result.ok) {
    const lines = result.errors.map((e) => `${e.path || '/'}: ${e.message}`);
    throw new MccsError('INVALID', `${source} is invalid:\n  ${lines.join('\n  ')}`, [`fix ${source} and retry; the running configuration is unchanged`], result.errors);
  }
  return result.config;
}

export async function loadConfigFile(path: string): Promise<MainConfig> {
  let text: string;
  try {
    // A regular file inside MCCS_HOME (a symlink only to a file inside it), of bounded size.
    text = readConfinedFile(path).toString('utf8');
  } catch (e) {
    if (e instanceof MccsError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new MccsError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID', `cannot read ${path}: ${(e as Error).message}`, ['create it with `mccs init`']);
  }
  return parseConfig(text, path);
}

/** Validated, then written durably (model/durable-file.ts). The caller raises ConfigVersion. */
export async function writeConfigFile(path: string, config: MainConfig): Promise<void> {
  const result = validateConfig(config);
  if (!result.ok) throw new MccsError('INVALID', `refusing to write an invalid configuration: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, [], result.errors);
  await writeDurable(path, `${JSON.stringify(config, null, 2)}\n`, 0o644);
}

/** A deep copy to change; the original stays untouched until the copy validates. */
export function cloneConfig(config: MainConfig): MainConfig {
  return structuredClone(config);
}
