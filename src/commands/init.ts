// `mccs init`: a main.json from a template, the cluster secret, the node's TLS
// certificate, the admin user and the MCCS_HOME tree. A wizard on a TTY; fully
// by flags for Ansible (`--non-interactive`, or stdin not a TTY).
import { Command, Flags, type Interfaces } from '@oclif/core';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { ExecRunner } from '../engine/exec-runner.js';
import { MccsError } from '../model/errors.js';
import { homePaths, mccsHome, type HomePaths } from '../model/home.js';
import type { MainConfig } from '../model/types.js';
import { runWithEnvelope } from '../init/command-output.js';
import { joinCluster } from '../init/join.js';
import { checkAnswer, flagNameFor, type AnswerValue, type Question } from '../init/questions.js';
import { crossChecks, renderTemplate, resolveAnswers } from '../init/render-template.js';
import {
  checkPassword,
  createCertificate,
  createHomeDirs,
  exists,
  writeUser,
  writeClusterKey,
} from '../init/setup.js';
import { loadTemplate, templateNames, type Template } from '../init/templates.js';
import { absenceWarning, suggest } from '../init/suggest.js';
import { discover } from '../discover/discover.js';
import { localHost } from '../discover/host.js';
import type { Discovery } from '../discover/types.js';

/** Template questions that have a flag of their own; every other one is answered with --set NAME=VALUE. */
const ANSWER_FLAGS = [
  'cluster-name', 'node1', 'node2', 'node1-primary-hb', 'node2-primary-hb', 'node1-secondary-hb', 'node2-secondary-hb',
  'isolation-addresses', 'group', 'nic', 'vip', 'prefix', 'device', 'mount-point',
] as const;

const answerFlag = (description: string) => Flags.string({ description, helpGroup: 'TEMPLATE ANSWER' });

interface InitResult {
  home: string;
  template: string;
  node: string;
  files: string[];
  fingerprint?: string;
  warnings: string[];
  nextSteps: string[];
  config?: MainConfig;
}

export default class Init extends Command {
  static summary = 'Create the configuration of this node from a template (wizard, or fully by flags).';

  static description = `Writes $MCCS_HOME/config/main.json from a template, the cluster secret config/cluster.key (32 random bytes, mode 0600; kept if it exists), a self-signed TLS certificate config/tls/node.crt + node.key for this node, config/users.json with the admin user (scrypt hash), and the log/ and run/ directories.

On a terminal it asks each question the template needs and checks every answer as it goes. With --non-interactive, or when stdin is not a terminal (Ansible, scripts), every answer comes from flags: a question that has no flag of its own is answered with --set NAME=VALUE (e.g. --set DATA_DIR=/pgdata/data); a question left out takes its default, and the command fails (exit 2) listing every missing flag at once. A bad value exits 3 naming the question. An existing main.json is never overwritten without --force (exit 5).

The admin password comes from --admin-password-file, the MCCS_ADMIN_PASSWORD environment variable, --admin-password (visible in ps: avoid), or the wizard; there is no default password.

Second node: copy config/cluster.key from the first node, then run the same command there with --node NODE2 --cluster-key-file FILE (the same answers give the same main.json).

Or, simpler: with the first node's engine running, run mccs join-token there; it prints "mccs init --join ADDRESS --token TOKEN --fingerprint SHA256 --node NODE2" to run on the second node. That command checks the first node's certificate against the fingerprint before it sends anything, spends the one-time token (MCCS_JOIN_TOKEN may carry it instead of --token), and writes the first node's main.json and cluster.key here, with this node's own certificate and admin user (no template, no answers). A wrong, used or expired token exits 6, as does a certificate that does not match.

A NEW node joins a running cluster the same way, with its definition: mccs init --join ADDRESS --token TOKEN --fingerprint SHA256 --node NAME --primary-hb ADDRESS [--secondary-hb ADDRESS] [--isolation-addresses LIST]. The engine at ADDRESS adds NAME at the end of Nodes (one configuration change on every RUNNING node, ordered by the coordinating node) before it hands the files back. More than two nodes need WitnessType etcd (exit 3 otherwise); a name or heartbeat address already used by another node exits 5; the same definition again is accepted without change. A refused addition does not spend the token.`;

  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --list-templates',
    'MCCS_ADMIN_PASSWORD=… <%= config.bin %> <%= command.id %> --non-interactive --template ip-process --cluster-name demo --node1 node1 --node2 node2 --node1-primary-hb 10.213.0.1 --node2-primary-hb 10.213.0.2 --node1-secondary-hb 10.213.1.1 --node2-secondary-hb 10.213.1.2 --isolation-addresses 10.213.0.254 --vip 10.213.0.100',
    '<%= config.bin %> <%= command.id %> --non-interactive --template postgresql-drbd --admin-password-file /root/mccs-admin.pw --cluster-name shop --node1 db1 --node2 db2 --node1-primary-hb 10.0.0.1 --node2-primary-hb 10.0.0.2 --vip 10.0.0.100 --mount-point /pgdata --set DATA_DIR=/pgdata/15/main',
    '<%= config.bin %> <%= command.id %> --node db2 --cluster-key-file /root/cluster.key …same answers as on db1…',
    'MCCS_ADMIN_PASSWORD=… <%= config.bin %> <%= command.id %> --join 10.0.0.1 --token TOKEN --fingerprint SHA256 --node node3 --primary-hb 10.0.0.3 --secondary-hb 10.0.1.3 --isolation-addresses 10.0.0.254',
  ];

  static flags = {
    template: Flags.string({ char: 't', description: 'Template name (see --list-templates), or the path of a site template FILE.json with its FILE.questions.json beside it.' }),
    'list-templates': Flags.boolean({ description: 'List the templates and the questions each asks, then exit.' }),
    set: Flags.string({ description: 'Answer to a template question, NAME=VALUE (repeatable; NAME as in the template: DATA_DIR or data-dir).', multiple: true }),
    'cluster-name': answerFlag('ClusterName (question CLUSTER_NAME).'),
    node1: answerFlag('Name of the first node, highest priority (NODE1).'),
    node2: answerFlag('Name of the second node (NODE2).'),
    'node1-primary-hb': answerFlag('PrimaryHB address of the first node (NODE1_PRIMARY_HB).'),
    'node2-primary-hb': answerFlag('PrimaryHB address of the second node (NODE2_PRIMARY_HB).'),
    'node1-secondary-hb': answerFlag('SecondaryHB address of the first node (NODE1_SECONDARY_HB, optional).'),
    'node2-secondary-hb': answerFlag('SecondaryHB address of the second node (NODE2_SECONDARY_HB, optional).'),
    'isolation-addresses': answerFlag("IsolationTestAddresses of both nodes, comma list (ISOLATION_ADDRESSES, optional); with --join --primary-hb, the new node's."),
    group: answerFlag('Group name (GROUP).'),
    nic: answerFlag('Network interface of the virtual IP (NIC).'),
    vip: answerFlag('Virtual IP address (VIP).'),
    prefix: answerFlag('Prefix length of the virtual IP (PREFIX).'),
    device: answerFlag('Shared block device (DEVICE).'),
    'mount-point': answerFlag('Mount point of the shared or replicated file system (MOUNT_POINT).'),
    'admin-password': Flags.string({ description: 'Password of the admin user (visible in ps; prefer --admin-password-file or MCCS_ADMIN_PASSWORD).' }),
    'admin-password-file': Flags.string({ description: 'File whose first line is the admin password.' }),
    node: Flags.string({ description: 'This node\'s name, for its certificate (default: the node whose heartbeat address is on this host, else the host name, else the first node).', env: 'MCCS_NODE' }),
    'cluster-key-file': Flags.string({ description: 'Install this cluster secret (copied from the first node) instead of creating one.' }),
    home: Flags.string({ description: 'MCCS_HOME to set up.', env: 'MCCS_HOME', default: '/opt/mccs' }),
    force: Flags.boolean({ description: 'Overwrite an existing main.json, users.json admin entry and TLS certificate (the cluster secret is kept unless --cluster-key-file).' }),
    'non-interactive': Flags.boolean({ description: 'Never prompt; every answer from flags (automatic when stdin is not a terminal).' }),
    'dry-run': Flags.boolean({ description: 'Render and validate the configuration, print it, write nothing.' }),
    join: Flags.string({ description: 'Set up this node from the first one: its address, ADDRESS[:PORT] (port HBPort+3, default 14324). Needs --token and --fingerprint (printed by mccs join-token there).', helpGroup: 'JOIN' }),
    token: Flags.string({ description: 'The one-time join token printed by mccs join-token on the first node.', env: 'MCCS_JOIN_TOKEN', helpGroup: 'JOIN' }),
    fingerprint: Flags.string({ description: "SHA-256 fingerprint of the first node's certificate, as mccs join-token printed it.", helpGroup: 'JOIN' }),
    'primary-hb': Flags.string({ description: 'With --join: this is a NEW node (not yet in Nodes), named by --node, whose PrimaryHB is this address; the running cluster adds it to Nodes first (3 to 16 nodes need WitnessType etcd).', helpGroup: 'JOIN' }),
    'secondary-hb': Flags.string({ description: "With --join and --primary-hb: the new node's SecondaryHB address (optional, but a single link is a warning).", helpGroup: 'JOIN' }),
    json: Flags.boolean({ description: 'Print one JSON envelope {"ok","changed","result"} (implies --non-interactive).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    await runWithEnvelope<unknown>(this, flags.json, async () => {
      if (flags['list-templates']) return listTemplates();
      if (flags.join) {
        // --join: everything comes from the first node (src/init/join.ts).
        return joinCluster({
          address: flags.join, token: flags.token, fingerprint: flags.fingerprint, node: flags.node,
          primaryHB: flags['primary-hb'], secondaryHB: flags['secondary-hb'], isolationAddresses: flags['isolation-addresses'],
          home: flags.home || mccsHome(), password: await passwordFromFlags(flags), force: flags.force, dryRun: flags['dry-run'], json: flags.json,
        });
      }
      const interactive = !flags['non-interactive'] && !flags.json && Boolean(process.stdin.isTTY);
      return interactive ? this.wizard(flags) : this.byFlags(flags);
    });
  }

  private async byFlags(flags: InitFlags) {
    const missing: string[] = [];
    const password = await passwordFromFlags(flags);
    if (password === undefined) missing.push('--admin-password-file FILE (or MCCS_ADMIN_PASSWORD, or --admin-password)');
    if (!flags.template) {
      missing.unshift('--template NAME');
      throw new MccsError('USAGE', `missing flags: ${missing.join(', ')}`, [`templates: ${templateNames().join(', ')}`, 'the other answers depend on the template: see --list-templates'], { missing });
    }
    const template = pickTemplate(flags.template);
    const answers = answersFromFlags(template, flags);
    const resolved = resolveAnswers(template.questions, answers);
    for (const q of resolved.missing) missing.push(`${flagFor(q)} (${q.message})`);
    if (missing.length > 0) {
      throw new MccsError('USAGE', `missing flags:\n  ${missing.join('\n  ')}`, ['give every one of them (see mccs init --help)'], { missing });
    }
    if (resolved.errors.length > 0) throw new MccsError('INVALID', `invalid answers:\n  ${resolved.errors.join('\n  ')}`, ['correct the values named above'], { errors: resolved.errors });
    const passwordProblem = checkPassword(password!);
    if (passwordProblem) throw new MccsError('INVALID', passwordProblem);
    // A device, directory or interface absent from this host is worth a word, not a refusal (a shared disk may not be attached yet).
    const found = await discover(localHost(new ExecRunner())).catch(() => undefined);
    const absent = found ? template.questions.questions.map((q) => absenceWarning(q, resolved.values[q.name], found, existsSync)).filter((w): w is string => w !== undefined) : [];
    return this.apply(flags, template, answers, password!, absent);
  }

  private async wizard(flags: InitFlags) {
    const { input, password: passwordPrompt, select, confirm } = await import('@inquirer/prompts');
    const template = flags.template
      ? pickTemplate(flags.template)
      : loadTemplate(
          await select({
            message: 'Template',
            choices: templateNames().map((name) => ({ name, value: name, description: loadTemplate(name).description })),
          }),
        );
    this.log(`Template ${template.name}: ${template.description}`);
    // What runs here: the interface, disks, data directories and ports the wizard proposes.
    const found: Discovery | undefined = await discover(localHost(new ExecRunner())).catch(() => undefined);
    if (found) this.log(foundSummary(found));
    const absent: string[] = [];
    const given = answersFromFlags(template, flags);
    const values: Record<string, AnswerValue | undefined> = {};
    const answers: Record<string, string | undefined> = {};
    // Answers given as flags are checked first; a bad one stops here (exit 3) rather than being silently re-asked.
    for (const q of template.questions.questions) {
      if (given[q.name] === undefined) continue;
      const checked = checkAnswer(q, given[q.name]!);
      if (!checked.ok) throw new MccsError('INVALID', checked.message);
      values[q.name] = checked.value;
      answers[q.name] = given[q.name];
    }
    for (const q of template.questions.questions) {
      if (answers[q.name] !== undefined) continue;
      const suggestion = found ? suggest(found, q, values) : undefined;
      if (suggestion) this.log(`  (${suggestion.why})`);
      const fallback = wizardDefault(q, values);
      // A template default naming an interface this host does not have (eth0) is no suggestion.
      const usable = fallback !== undefined && !(found && absenceWarning(q, fallback, found, existsSync) && q.validate === 'interface') ? fallback : undefined;
      const raw = await input({
        message: q.message + (q.optional ? ' (optional)' : ''),
        default: suggestion?.value ?? usable,
        required: !q.optional,
        validate: (text: string) => {
          const checked = checkAnswer(q, text);
          if (!checked.ok) return checked.message;
          const cross = crossChecks([q], { ...values, [q.name]: checked.value });
          return cross.length === 0 ? true : cross.join('; ');
        },
      });
      const checked = checkAnswer(q, raw);
      if (!checked.ok) throw new MccsError('INVALID', checked.message);
      values[q.name] = checked.value;
      answers[q.name] = raw;
      // Said at once, not after the last question.
      const warning = found ? absenceWarning(q, checked.value, found, existsSync) : undefined;
      if (warning) {
        this.warn(warning);
        absent.push(warning);
      }
    }
    let password = await passwordFromFlags(flags);
    while (password === undefined) {
      const first = await passwordPrompt({ message: 'Password of the admin user', mask: '*', validate: (p: string) => checkPassword(p) ?? true });
      const second = await passwordPrompt({ message: 'Password again', mask: '*' });
      if (first === second) password = first;
      else this.log('The two passwords differ; again.');
    }
    const passwordProblem = checkPassword(password);
    if (passwordProblem) throw new MccsError('INVALID', passwordProblem);
    const home = flags.home;
    if (!flags['dry-run'] && !(await confirm({ message: `Write the configuration to ${home}/config?`, default: true }))) {
      throw new MccsError('FAILED', 'cancelled by the operator; nothing was written');
    }
    return this.apply(flags, template, answers, password, absent);
  }

  /** Renders, validates, then writes every file (main.json last, so a failed run can be repeated). */
  private async apply(flags: InitFlags, template: Template, answers: Record<string, string | undefined>, password: string, absent: string[] = []) {
    const config = renderTemplate(template.body, template.questions, answers);
    const warnings = [...absent, ...(await validate(config))];
    const node = localNode(config, flags.node);
    const paths = homePaths(flags.home || mccsHome());
    if (flags['dry-run']) {
      const result: InitResult = { home: paths.home, template: template.name, node, files: [], warnings, nextSteps: [], config };
      return { changed: false, result, text: `${JSON.stringify(config, null, 2)}\n${warnings.map((w) => `warning: ${w}`).join('\n')}` };
    }
    if ((await exists(paths.mainJson)) && !flags.force) {
      throw new MccsError('CONFLICT', `${paths.mainJson} already exists`, ['keep it, or rerun with --force to overwrite it', 'to change a running cluster use mcgrp/mcres/mcnode -modify']);
    }
    const files: string[] = [];
    let fingerprint = '';
    const { Listr } = await import('listr2');
    const renderer = flags.json ? 'silent' : process.stdout.isTTY ? 'default' : 'simple';
    const nodeConfig = config.Nodes.find((n) => n.NodeName === node)!;
    const addresses = [nodeConfig.PrimaryHB, nodeConfig.SecondaryHB].filter((a): a is string => typeof a === 'string');
    const tasks = new Listr(
      [
        { title: `Create ${paths.home} (config/, config/tls/, log/, run/)`, task: async () => void (await createHomeDirs(paths)) },
        {
          title: 'Cluster secret config/cluster.key',
          task: async (_ctx, task) => {
            if (flags['cluster-key-file']) await writeClusterKey(paths.clusterKey, { force: true, from: flags['cluster-key-file'] });
            else if (await exists(paths.clusterKey)) task.title = 'Cluster secret config/cluster.key: kept the existing one';
            else await writeClusterKey(paths.clusterKey);
            files.push(paths.clusterKey);
          },
        },
        {
          title: `TLS certificate of ${node} (config/tls/node.crt, node.key)`,
          task: async () => {
            fingerprint = (await createCertificate(new ExecRunner(), paths.tlsDir, node, addresses)).fingerprint;
            files.push(`${paths.tlsDir}/node.crt`, `${paths.tlsDir}/node.key`);
          },
        },
        { title: 'Admin user (config/users.json)', task: async () => void (await writeUser(paths, { name: 'admin', role: 'Administrator', password }), files.push(paths.usersJson)) },
        {
          title: 'config/main.json',
          task: async () => {
            const { writeConfigFile } = await import('../model/config.js');
            await writeConfigFile(paths.mainJson, config);
            files.push(paths.mainJson);
          },
        },
      ],
      { renderer, exitOnError: true, rendererOptions: {} },
    );
    await tasks.run();
    const nextSteps = nextStepsFor(config, node, paths, flags);
    const result: InitResult = { home: paths.home, template: template.name, node, files, fingerprint, warnings, nextSteps };
    const text = [
      ...warnings.map((w) => `warning: ${w}`),
      `Configured ${node} in ${paths.home} from template ${template.name}.`,
      `Certificate fingerprint (SHA-256) of ${node}: ${fingerprint}`,
      '',
      'Next steps:',
      ...nextSteps.map((s, i) => `  ${i + 1}. ${s}`),
    ].join('\n');
    return { changed: true, result, text };
  }
}

type InitFlags = Interfaces.InferredFlags<(typeof Init)['flags']>;

function listTemplates() {
  const templates = templateNames().map((name) => loadTemplate(name));
  const result = templates.map((t) => ({
    name: t.name,
    description: t.description,
    questions: t.questions.questions.map((q) => ({ ...q, flag: flagFor(q) })),
  }));
  const text = templates
    .map((t) => [`${t.name} — ${t.description}`, ...t.questions.questions.map((q) => `    ${flagFor(q).padEnd(36)} ${q.message}${q.default !== undefined ? ` [${q.default}]` : q.optional ? ' [optional]' : ''}`)].join('\n'))
    .join('\n\n');
  return { changed: false, result, text };
}

function pickTemplate(name: string): Template {
  try {
    return loadTemplate(name);
  } catch (e) {
    if (e instanceof MccsError && e.code === 'NOT_FOUND') throw new MccsError('INVALID', `--template: ${e.message}`, e.actions);
    throw e;
  }
}

function flagFor(q: Question): string {
  const flag = flagNameFor(q.name);
  return (ANSWER_FLAGS as readonly string[]).includes(flag) ? `--${flag}` : `--set ${q.name}=…`;
}

/** Answers from the dedicated flags and from --set; a --set naming no question of the template is a usage error. */
function answersFromFlags(template: Template, flags: InitFlags): Record<string, string | undefined> {
  const answers: Record<string, string | undefined> = {};
  const asked = new Set(template.questions.questions.map((q) => q.name));
  for (const flag of ANSWER_FLAGS) {
    const value = flags[flag];
    if (typeof value !== 'string') continue;
    const name = flag.toUpperCase().replace(/-/g, '_');
    if (!asked.has(name)) throw new MccsError('USAGE', `--${flag}: template ${template.name} asks no ${name}`, ['see mccs init --list-templates']);
    answers[name] = value;
  }
  for (const pair of flags.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new MccsError('USAGE', `--set ${pair}: expected NAME=VALUE`);
    const name = pair.slice(0, eq).trim().toUpperCase().replace(/-/g, '_');
    if (!asked.has(name)) throw new MccsError('USAGE', `--set ${pair}: template ${template.name} asks no ${name}`, [`it asks: ${[...asked].join(', ')}`]);
    const value = pair.slice(eq + 1);
    if (answers[name] !== undefined && answers[name] !== value) throw new MccsError('USAGE', `${name} is given twice with different values`);
    answers[name] = value;
  }
  return answers;
}

async function passwordFromFlags(flags: InitFlags): Promise<string | undefined> {
  if (flags['admin-password-file']) {
    try {
      return (await readFile(flags['admin-password-file'], 'utf8')).split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new MccsError('INVALID', `--admin-password-file: cannot read ${flags['admin-password-file']}: ${(e as Error).message}`);
    }
  }
  if (process.env.MCCS_ADMIN_PASSWORD) return process.env.MCCS_ADMIN_PASSWORD;
  return flags['admin-password'];
}

function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

/** Wizard suggestions: this host's name for NODE1, its first address for NODE1_PRIMARY_HB. */
function wizardDefault(q: Question, values: Record<string, AnswerValue | undefined>): string | undefined {
  if (q.default !== undefined) return String(q.default);
  if (q.name === 'NODE1') {
    const short = hostname().split('.')[0] ?? '';
    return checkAnswer(q, short).ok ? short : undefined;
  }
  if (q.name === 'NODE1_PRIMARY_HB') {
    const external = Object.values(networkInterfaces()).flatMap((l) => l ?? []).find((a) => !a.internal && a.family === 'IPv4');
    return external?.address;
  }
  void values;
  return undefined;
}

/** This node: --node, else the node whose heartbeat address is on this host, else the host name, else the first node. */
function localNode(config: MainConfig, explicit?: string): string {
  const names = config.Nodes.map((n) => n.NodeName);
  if (explicit) {
    if (!names.includes(explicit)) throw new MccsError('INVALID', `--node ${explicit} is not a node of this configuration (${names.join(', ')})`);
    return explicit;
  }
  const mine = new Set(hostAddresses());
  const byAddress = config.Nodes.find((n) => [n.PrimaryHB, n.SecondaryHB].some((a) => typeof a === 'string' && mine.has(a)));
  if (byAddress) return byAddress.NodeName;
  const short = hostname().split('.')[0];
  return names.find((n) => n === short) ?? names[0]!;
}

/** Full validation with the engine's validator (src/model/config.ts, loaded on first use like the writer). */
async function validate(config: MainConfig): Promise<string[]> {
  await import('../engine/agents/catalog.js'); // the agents declare their Types to the validator
  const { validateConfig } = await import('../model/config.js');
  const result = validateConfig(config);
  if (!result.ok) {
    throw new MccsError('INVALID', `the rendered main.json is invalid:\n  ${result.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('\n  ')}`, ['check the answers; if they are right, the template is wrong: report it'], result.errors);
  }
  return warningsFor(config);
}

function warningsFor(config: MainConfig): string[] {
  const warnings: string[] = [];
  for (const n of config.Nodes) if (!n.SecondaryHB) warnings.push(`node ${n.NodeName} has no SecondaryHB: a single heartbeat link is a single point of failure`);
  if (config.Nodes.some((n) => !n.IsolationTestAddresses)) warnings.push('no IsolationTestAddresses: a node cannot tell that it is the one cut off');
  if (!config.Cluster.FenceProgram) warnings.push('no FenceProgram: a partition between two healthy nodes can run a group twice');
  return warnings;
}

function nextStepsFor(config: MainConfig, node: string, paths: HomePaths, flags: InitFlags): string[] {
  const others = config.Nodes.map((n) => n.NodeName).filter((n) => n !== node);
  const steps: string[] = [];
  steps.push('Install and start the engine here: mccs service install && systemctl daemon-reload && systemctl enable --now mccs');
  if (others.length > 0 && !flags['cluster-key-file']) {
    // The safer path first: no secret copied by hand.
    steps.push(`Set up ${others.join(', ')} from this node: mccs join-token (here) prints the one command to run on ${others[0]}; it fetches main.json and the cluster secret over TLS, checked by the certificate fingerprint`);
    steps.push(`Or by hand: copy ${paths.clusterKey} to ${others[0]} (scp -p ${paths.clusterKey} root@${others[0]}:/root/cluster.key), run this same mccs init there with --node ${others[0]} --cluster-key-file /root/cluster.key, then delete /root/cluster.key`);
  }
  steps.push('Check: mccluster status   (as root on the node; remotely: -u admin)');
  steps.push('What runs here that a group could use: mccs discover (--propose GROUP prints one)');
  steps.push('Shell completion: mccs autocomplete bash   (or zsh)');
  return steps;
}

/** One paragraph of what discovery found, shown before the questions. */
function foundSummary(d: Discovery): string {
  const parts = [
    d.interfaces.length ? `interfaces ${d.interfaces.map((i) => `${i.name} (${i.addresses.map((a) => a.address).join(', ') || 'no address'})`).join(', ')}` : '',
    d.fileSystems.length ? `block file systems ${d.fileSystems.map((f) => `${f.device} on ${f.mountPoint}`).join(', ')}` : '',
    d.postgresql.length ? `PostgreSQL ${d.postgresql.map((p) => `${p.dataDir} port ${p.port}`).join(', ')}` : '',
    d.oracle.instances.length ? `Oracle ${d.oracle.instances.map((i) => i.sid).join(', ')}` : '',
  ].filter(Boolean);
  return `Found on this host: ${parts.length ? parts.join('; ') : 'nothing to propose'} (mccs discover shows the evidence).`;
}
