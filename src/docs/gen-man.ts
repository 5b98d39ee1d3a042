// `npm run man`: writes man/*.5 and man/*.8 from the same declarations as
// `--help` and the schema: the attribute declarations, the agent catalog and
// the oclif commands (their summary, description, flags and examples).
// Run after `npm run build`; the generated pages are committed.
import { Config, Plugin, type Command } from '@oclif/core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agents, typeAliases } from '../engine/agents/catalog.js';
import {
  clusterAttributes,
  dependencyAttributes,
  groupAttributes,
  nodeAttributes,
  resourceAttributes,
  typeAttributes,
  lengthLimits,
  type AttributeDeclaration,
} from '../model/attributes.js';
import { MAX_NODES, MAX_NODES_WITHOUT_WITNESS } from '../model/schema.js';
import { entryPoints, environment, exitStatus, files, jsonOutput, leaseLimits, recovery, seeAlso, type EntryPoint } from './man-sections.js';
import { arg, esc, literal, paragraphs, tagged } from './roff.js';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One line per resource type, from SPEC §5 (agents declare attributes, not prose). */
const TYPE_SUMMARY: Record<string, string> = {
  NIC: 'Link state of a network card. Monitor only: never started or stopped.',
  IP: 'A virtual IPv4 or IPv6 address on a NIC, announced to the neighbours (arping, unsolicited NA) on takeover.',
  Process: 'One executable the engine starts; watched by PID and start time, adopted by exact executable path and arguments.',
  Application: 'An application driven by start, stop and monitor programs.',
  SharedDisk: 'A file system on a shared device, mounted only on the active node, guarded by a disk lease.',
  MirrorDisk: 'A DRBD resource: primary on the active node, its file system mounted there, replication state watched.',
  Service: 'A unit of the service manager (systemctl).',
  Oracle: 'An Oracle instance (sqlplus).',
  OracleListener: 'An Oracle listener (lsnrctl).',
  PostgreSQL: 'A PostgreSQL or EDB Postgres Advanced Server cluster, run as its OS user (pg_ctl, psql).',
  PostgreSQLReplication: 'A PostgreSQL primary/standby pair with streaming replication: ONLINE where the server is the primary; elsewhere it runs as a standby following it (reported as stopped). Online promotes (never while another node\'s server is a primary), offline demotes and the old primary returns as a standby (pg_rewind when needed).',
  SharedDiskDR: 'Replication of a shared disk to a remote DR site (monitored, promoted on demand).',
  MirrorDiskDR: 'DRBD replication to a remote DR site (monitored, promoted on demand).',
};

const TYPE_ORDER = Object.keys(TYPE_SUMMARY);

function version(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function header(name: string, section: number, title: string): string {
  // No date: regenerating an unchanged page gives the same bytes.
  return [`'\\" t`, `.TH ${name.toUpperCase()} ${section} "" "mccs ${version()}" "mccs manual"`, '.nh', '.ad l', '.SH NAME', `${esc(name)} \\- ${esc(title)}`].join('\n');
}

function formatValue(v: unknown): string {
  if (v === '') return '"" (empty)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One attribute as a tagged paragraph: name, then kind, unit, default, who may change it, description, MCCS difference. */
export function attributeEntry(d: AttributeDeclaration): string {
  const facts: string[] = [d.kind === 'enum' ? `one of ${(d.values ?? []).join(', ')}` : d.kind === 'program' ? 'program: one executable path, or [path, arg…]' : d.kind];
  if (d.booleanInput) facts.push(`MCCS BOOLEAN input accepted: true = ${d.booleanInput.true}, false = ${d.booleanInput.false}`);
  if (d.aliases?.length) facts.push(`also accepted as ${d.aliases.join(', ')}`);
  if (d.unit) facts.push(`unit ${d.unit}`);
  if (d.minimum !== undefined || d.maximum !== undefined) facts.push(`range ${d.minimum ?? '…'}..${d.maximum ?? '…'}`);
  const lengths = lengthLimits(d);
  if (lengths.maxItems !== undefined) facts.push(`at most ${lengths.maxItems} items of ${lengths.maxLength} characters`);
  else if (lengths.maxLength !== undefined) facts.push(`at most ${lengths.maxLength} characters`);
  if (d.default !== undefined) facts.push(`default ${formatValue(d.default)}`);
  if (d.required) facts.push('required');
  facts.push(d.editable ? 'editable' : d.stored ? 'set at creation, then read-only' : 'read-only, reported by the engine (not written in main.json)');
  const body = [`\\fI${esc(facts.join('; '))}\\fR.`, '.br', esc(d.description)];
  if (d.ours) body.push('.br', `\\fBOurs:\\fR ${esc(`this default differs from MCCS (${d.ours.replace(/\.$/, '')}).`)}`);
  if (d.forceEditable) body.push('.br', `\\fBWith --force:\\fR ${esc(d.forceEditable)}`);
  return tagged(`.B ${esc(d.name)}`, body.join('\n'));
}

function attributeSection(title: string, intro: string, list: AttributeDeclaration[]): string {
  return [`.SS ${arg(title)}`, paragraphs(intro), ...list.map(attributeEntry)].join('\n');
}

const EXAMPLE = `{
  "ConfigVersion": 7,
  "Cluster": { "ClusterName": "shop", "HBPort": 14321, "HBInterval": 1000, "HBTimeout": 1000 },
  "Nodes": [
    { "NodeName": "node1", "PrimaryHB": "10.213.0.1", "SecondaryHB": "10.213.1.1",
      "IsolationTestAddresses": "10.213.0.254" },
    { "NodeName": "node2", "PrimaryHB": "10.213.0.2", "SecondaryHB": "10.213.1.2",
      "IsolationTestAddresses": "10.213.0.254" }
  ],
  "Types": { "Process": { "MonitorInterval": 5 } },
  "Groups": [
    { "GroupName": "web", "GroupType": "FAILOVER", "NodeList": ["node1", "node2"],
      "AutoStart": true,
      "Resources": [
        { "ResName": "web-nic", "Type": "NIC", "Device": "eth0" },
        { "ResName": "web-ip", "Type": "IP", "NICResName": "web-nic",
          "Address": "10.213.0.100", "Prefix": 24, "Critical": true },
        { "ResName": "web-app", "Type": "Process", "Path": "/usr/bin/node",
          "Arguments": ["/srv/web/server.js"], "Critical": true, "RestartLimit": 1 }
      ],
      "Dependencies": [
        { "Parent": "web-ip", "Child": "web-nic" },
        { "Parent": "web-app", "Child": "web-ip", "OnlineDependency": "STRONG",
          "OfflineDependency": "STRONG" }
      ] }
  ]
}`;

export function mainJsonPage(): string {
  const types = Object.keys(agents).sort((a, b) => (TYPE_ORDER.indexOf(a) + 1 || 99) - (TYPE_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
  const aliasesOf = (type: string) => Object.entries(typeAliases).filter(([, t]) => t === type).map(([a]) => a);
  const parts = [
    header('mccs-main.json', 5, 'configuration of an mccs cluster'),
    '.SH SYNOPSIS',
    '.I $MCCS_HOME/config/main.json',
    '.SH DESCRIPTION',
    paragraphs(`main.json holds the cluster, its nodes, groups, resources and dependencies. With config/cluster.key it is all a node needs to start. The engine validates it against its JSON Schema on every load and every change; an invalid file is refused with the JSON path and the reason of every error, and the running configuration is kept. Writes are atomic (temporary file, fsync, rename).

Keys are PascalCase. Attributes sit flat in their object; an unknown key is an error. ConfigVersion is raised by every change made through the engine; a node that joins with an older copy takes the newer one. Node priority is the order of Nodes (first = highest); the priority of a group's nodes is the order of its NodeList.

A resource attribute is resolved in this order: the value in the resource, else the value in Types for its type, else the default below. Read-only attributes are reported by the engine (mcgrp list, mcres list) and are not written in main.json.

mccs init writes a first main.json from a template (PostgreSQL, Oracle, Tomcat, nginx...). The attributes below are generated from the declarations the engine validates with: the list is complete for this version.`),
    '.SH EXAMPLE',
    literal(EXAMPLE),
    '.SH STRUCTURE',
    tagged('.B ConfigVersion', 'integer. Raised by every change made through the engine.'),
    tagged('.B Cluster', 'object: the cluster attributes.'),
    tagged('.B Nodes', `array of 1 to ${MAX_NODES} node objects, in priority order; more than ${MAX_NODES_WITHOUT_WITNESS} need Cluster WitnessType etcd (membership and group ownership are kept in etcd).`),
    tagged('.B Types', 'object: for a type name, values of type-shared and type attributes that apply to every resource of that type, e.g. {"Process": {"MonitorInterval": 5}}.'),
    tagged('.B Groups', 'array of group objects; each has its group attributes, Resources (array of resource objects) and Dependencies (array).'),
    '.SH ATTRIBUTES',
    attributeSection('Cluster', 'In the "Cluster" object.', clusterAttributes),
    attributeSection('Node', 'In each object of "Nodes".', nodeAttributes),
    attributeSection('Group', 'In each object of "Groups".', groupAttributes),
    attributeSection('Resource (every type)', 'In each object of a group\'s "Resources", whatever its Type.', resourceAttributes),
    attributeSection('Resource type (shared, overridable per resource)', 'Set for all resources of a type under "Types", or on one resource.', typeAttributes),
    attributeSection('Dependency', 'In each object of a group\'s "Dependencies": Parent depends on Child. Online goes bottom-up (children first), offline top-down (parents first); cycles are refused.', dependencyAttributes),
    '.SH "RESOURCE TYPES"',
    paragraphs(`The value of a resource's Type, and the attributes of that type (besides the ones of every resource and the type-shared ones above). Types known to this build: ${types.join(', ') || 'none'}.`),
    ...types.map((type) => {
      const agent = agents[type]!;
      const aliases = aliasesOf(type);
      const intro = [TYPE_SUMMARY[type] ?? '', agent.monitorOnly ? 'Monitor only.' : '', aliases.length ? `Also accepted as Type ${aliases.join(', ')} (MCCS compatibility).` : ''].filter(Boolean).join(' ');
      return attributeSection(type, intro || `Type ${type}.`, agent.attributes);
    }),
    leaseLimits(),
    files(),
    seeAlso('mccs-main.json'),
  ];
  return `${parts.join('\n')}\n`;
}

// ---- command pages -------------------------------------------------------

type Loadable = Command.Loadable;

function fill(text: string, id: string): string {
  return text.replace(/<%=\s*config\.bin\s*%>/g, 'mccs').replace(/<%=\s*command\.id\s*%>/g, id.replace(/:/g, ' '));
}

function pageOf(cmd: Loadable): string {
  const topic = cmd.id.split(':')[0];
  return entryPoints.find((e) => e.topic === topic && cmd.id.includes(':'))?.bin ?? 'mccs';
}

/** "mcgrp online GROUP" for topic commands, "mccs init" for the others. */
function usage(cmd: Loadable, bin: string): string {
  const words = cmd.id.split(':');
  const name = bin === 'mccs' ? ['mccs', ...words] : [bin, ...words.slice(1)];
  const args = Object.values(cmd.args ?? {}).map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`));
  return [...name, ...args].join(' ');
}

function flagEntry(name: string, f: Loadable['flags'][string]): string {
  const takesValue = f.type === 'option';
  const metavar = takesValue ? ` \\fI${esc(name.toUpperCase().replace(/-/g, '_'))}\\fR` : '';
  const tag = `${f.char ? `\\fB\\-${esc(f.char)}\\fR, ` : ''}\\fB\\-\\-${esc(name)}\\fR${metavar}`;
  const facts: string[] = [];
  if (takesValue && 'options' in f && f.options?.length) facts.push(`one of ${f.options.join(', ')}`);
  if (takesValue && 'multiple' in f && f.multiple) facts.push('repeatable');
  if (f.default !== undefined && typeof f.default !== 'function' && f.default !== false) facts.push(`default ${String(f.default)}`);
  if ('env' in f && f.env) facts.push(`environment ${f.env}`);
  const text = (f.summary ?? f.description ?? '').trim();
  return tagged(tag, esc(`${text}${facts.length ? ` (${facts.join('; ')})` : ''}`));
}

/** Flags shared by many commands (helpGroup GLOBAL / CHANGE): described once in COMMON FLAGS, not under each command. */
const SHARED_GROUPS: Record<string, string> = { GLOBAL: 'every command', CHANGE: 'every state change', 'STATE CHANGE': 'every state change' };

function sharedFlags(commands: Loadable[]): Map<string, [string, Loadable['flags'][string]][]> {
  const groups = new Map<string, [string, Loadable['flags'][string]][]>();
  for (const cmd of commands) {
    for (const [name, f] of Object.entries(cmd.flags ?? {})) {
      const group = f.helpGroup;
      if (!group || !(group in SHARED_GROUPS) || f.hidden) continue;
      const list = groups.get(group) ?? [];
      if (!list.some(([n]) => n === name)) list.push([name, f]);
      groups.set(group, list);
    }
  }
  for (const list of groups.values()) list.sort(([a], [b]) => a.localeCompare(b));
  return groups;
}

function commonFlagsSection(commands: Loadable[]): string {
  const groups = sharedFlags(commands);
  if (groups.size === 0) return '';
  const parts = ['.SH "COMMON FLAGS"'];
  for (const [group, list] of groups) {
    parts.push(`.SS ${arg(`Flags of ${SHARED_GROUPS[group]}`)}`, ...list.map(([name, f]) => flagEntry(name, f)));
  }
  return parts.join('\n');
}

function commandSection(cmd: Loadable, bin: string): string {
  const parts = [`.SS ${arg(usage(cmd, bin))}`];
  const summary = cmd.summary ?? '';
  if (summary) parts.push(paragraphs(fill(summary, cmd.id)));
  if (cmd.description && cmd.description.trim() !== summary.trim()) parts.push('.PP', paragraphs(fill(cmd.description, cmd.id)));
  const args = Object.values(cmd.args ?? {});
  for (const a of args) parts.push(tagged(`.I ${esc(a.name.toUpperCase())}`, esc(`${a.description ?? ''}${a.required ? '' : ' (optional)'}`)));
  const all = Object.entries(cmd.flags ?? {}).filter(([, f]) => !f.hidden);
  const flags = all.filter(([, f]) => !(f.helpGroup && f.helpGroup in SHARED_GROUPS)).sort(([a], [b]) => a.localeCompare(b));
  for (const [name, f] of flags) parts.push(flagEntry(name, f));
  const shared = [...new Set(all.map(([, f]) => f.helpGroup).filter((g): g is string => g !== undefined && g in SHARED_GROUPS))];
  if (shared.length) parts.push('.PP', esc(`Also takes the flags of ${shared.map((g) => SHARED_GROUPS[g]).join(' and ')} (COMMON FLAGS).`));
  const examples = (cmd.examples ?? []).map((e) => (typeof e === 'string' ? e : e.command)).map((e) => fill(e, cmd.id));
  if (examples.length) parts.push('.PP', 'Examples:', literal(examples.join('\n')));
  if (cmd.aliases?.length) parts.push('.PP', esc(`Aliases: ${cmd.aliases.map((a) => a.replace(/:/g, ' ')).join(', ')}.`));
  return parts.join('\n');
}

export function commandPage(entry: EntryPoint, commands: Loadable[]): string {
  const mine = commands.filter((c) => !c.hidden && pageOf(c) === entry.bin && c.id !== 'help').sort((a, b) => a.id.localeCompare(b.id));
  const synopsis = entry.topic
    ? [`.B ${entry.bin}`, '\\fICOMMAND\\fR [\\fIARGUMENTS\\fR] [\\fIFLAGS\\fR]', '.br', `.B mccs ${entry.topic}`, '\\fICOMMAND\\fR [\\fIARGUMENTS\\fR] [\\fIFLAGS\\fR]', '.br', `.B ${entry.bin}`, '[\\fB\\-u\\fR \\fIUSER\\fR \\fB\\-pw\\fR \\fIPASSWORD\\fR] [\\fB\\-ip\\fR \\fIADDRESS\\fR] \\fB\\-\\fR\\fICOMMAND\\fR ... (MCCS syntax)']
    : ['.B mccs', '\\fICOMMAND\\fR [\\fIARGUMENTS\\fR] [\\fIFLAGS\\fR]', '.br', '.B mccs', '\\fITOPIC\\fR \\fICOMMAND\\fR ...   (topics: node, grp, res, cluster; see mcnode(8), mcgrp(8), mcres(8), mccluster(8))', '.br', '.B mccs help', '[\\fICOMMAND\\fR]'];
  const parts = [
    header(entry.bin, 8, entry.what),
    '.SH SYNOPSIS',
    ...synopsis,
    '.SH DESCRIPTION',
    paragraphs(entry.description),
    '.SH COMMANDS',
    mine.length ? paragraphs(`${mine.length} commands. Every one also takes --help.`) : paragraphs('No command of this topic is installed in this build.'),
    ...mine.map((c) => commandSection(c, entry.bin)),
  ];
  const common = commonFlagsSection(mine);
  if (common) parts.push(common);
  if (entry.mccsSyntax) {
    parts.push(
      '.SH "MCCS SYNTAX"',
      paragraphs(`The single-dash syntax of MCCS is accepted as is, so existing scripts keep working: the command is a flag (-online), the group -g, the node -n, an attribute -a NAME VALUE, the credentials -u USER -pw PASSWORD and a remote node's engine -ip ADDRESS (modern: --user, --password, --host). The forms:`),
      literal(entry.mccsSyntax.join('\n')),
    );
  }
  parts.push(jsonOutput(), exitStatus(), environment(), files(), recovery(), seeAlso(entry.bin));
  return `${parts.join('\n')}\n`;
}

/**
 * Every command: ours read from dist/commands themselves (never from a stale
 * oclif.manifest.json; a command that fails to load fails the generation),
 * plus those of the plugins (help, autocomplete).
 */
export async function loadCommands(root = PACKAGE_ROOT): Promise<Loadable[]> {
  const own = new Plugin({ root, isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
  await own.load();
  const config = await Config.load(root);
  return [...own.commands, ...config.commands.filter((c) => c.pluginName !== own.name)];
}

export async function generate(outDir = join(PACKAGE_ROOT, 'man')): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const commands = await loadCommands();
  const written: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(outDir, name), text);
    written.push(name);
  };
  write('mccs-main.json.5', mainJsonPage());
  for (const entry of entryPoints) write(`${entry.bin}.8`, commandPage(entry, commands));
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = await generate();
  process.stdout.write(`wrote ${written.map((w) => `man/${w}`).join(', ')}\n`);
}
