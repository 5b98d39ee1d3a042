// The MCCS single-dash syntax, translated to the oclif argv of the same
// command, so that existing operator scripts keep working (SPEC §6, §8):
//
//   mcgrp -u admin -pw pw -online -g pg -n node1  →  grp online pg --node node1 --user admin --password pw
//   mcnode -modify -n node1 -a Attr value         →  node modify node1 Attr=value
//   mcres -add RES -t TYPE -g GROUP               →  res add RES --type TYPE --group GROUP
//
// Pure: argv in, argv out, or a USAGE MccsError naming what is wrong.
import { MccsError } from '../model/errors.js';

export type Topic = 'node' | 'grp' | 'res' | 'cluster';
export const TOPICS: readonly Topic[] = ['node', 'grp', 'res', 'cluster'];

export const VERBS: Record<Topic, readonly string[]> = {
  node: ['list', 'modify', 'license', 'support', 'evacuate', 'rename', 'remove'],
  grp: ['list', 'state', 'online', 'offline', 'switch', 'enable', 'disable', 'freeze', 'unfreeze', 'lock', 'unlock', 'clear', 'add', 'delete', 'modify', 'link', 'unlink', 'modify-link'],
  res: ['list', 'state', 'online', 'offline', 'enable', 'disable', 'add', 'delete', 'modify', 'clear', 'probe', 'monitor'],
  cluster: ['status', 'modify', 'events', 'attributes'],
};

/**
 * Other spellings of a verb that the MCCS manuals use: `-l` is the short
 * license option of the mcnode syntax line and option table; the manual
 * itself prints `-supprot` once.
 */
const VERB_SPELLINGS: Partial<Record<Topic, Record<string, string>>> = {
  node: { l: 'license', supprot: 'support' },
};

function verbOf(topic: Topic, tok: string): string | undefined {
  if (!tok.startsWith('-') || tok.startsWith('--')) return undefined;
  const word = tok.slice(1);
  if (VERBS[topic].includes(word)) return word;
  return VERB_SPELLINGS[topic]?.[word];
}

/** Modern flags that take a value; passed through with it. */
const VALUE_FLAGS = new Set(['--timeout', '--if-version', '--node', '--user', '--password', '--host', '--type', '--group', '--resource', '--interval', '--count', '--path', '--role', '--since', '--until', '--limit', '--scope', '--profile']);

/** MCCS syntax when the first word is a single-dash option (`-online`, `-u`, `-ip`…), never `-h`. */
export function isMccsSyntax(argv: string[]): boolean {
  const first = argv[0];
  return first !== undefined && /^-[A-Za-z]/.test(first) && first !== '-h';
}

type Slot = 'target' | 'flag';

/** What a single-dash option means in a topic: [oclif flag or target, takes a value]. */
function optionFor(topic: Topic, opt: string, verb: string | undefined): { to: string; slot: Slot } | 'attribute' | undefined {
  switch (opt) {
    case 'u':
      return { to: '--user', slot: 'flag' };
    case 'pw':
      return { to: '--password', slot: 'flag' };
    case 'ip':
      return { to: '--host', slot: 'flag' };
    case 'a':
      return 'attribute';
    case 'n':
      return topic === 'node' ? { to: 'target', slot: 'target' } : { to: '--node', slot: 'flag' };
    case 'g':
      if (topic === 'grp') return { to: 'target', slot: 'target' };
      if (topic === 'res' || topic === 'cluster') return { to: '--group', slot: 'flag' };
      return undefined;
    case 'r':
      return topic === 'cluster' ? { to: '--resource', slot: 'flag' } : undefined;
    case 't':
      if (topic !== 'res') return undefined;
      if (verb === 'add') return { to: '--type', slot: 'flag' };
      if (verb === 'monitor') return { to: '--interval', slot: 'flag' };
      return undefined;
    case 'p':
      return topic === 'node' && verb === 'support' ? { to: '--path', slot: 'flag' } : undefined;
    case 'since':
    case 'until':
    case 'limit':
      return topic === 'cluster' ? { to: `--${opt}`, slot: 'flag' } : undefined;
    default:
      return undefined;
  }
}

/** Options without a value. */
const SWITCHES: Record<string, string> = { all: '--all', force: '--force', temp: '--temporary', json: '--json', h: '--help' };

export function translateMccs(topic: Topic, argv: string[]): string[] {
  const verbs = VERBS[topic];
  let verb: string | undefined;
  let target: string | undefined;
  const positionals: string[] = [];
  const attributes: string[] = [];
  const flags: string[] = [];
  const auth: string[] = [];
  const command = topic === 'cluster' ? 'mccluster' : `mc${topic}`;

  // The verb decides what -t and -p mean: find it first.
  for (const tok of argv) {
    const v = verbOf(topic, tok);
    if (v !== undefined) {
      if (verb !== undefined && verb !== v) throw new MccsError('USAGE', `two commands given: -${verb} and ${tok}`, [`${command} -h`]);
      verb = v;
    }
  }
  if (verb === undefined) {
    throw new MccsError('USAGE', `no command given to ${command}: expected one of ${verbs.map((v) => '-' + v).join(', ')}`, [`${command} -h`]);
  }

  const valueOf = (i: number, opt: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new MccsError('USAGE', `option ${opt} needs a value`, [`${command} -h`]);
    return v;
  };

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (tok.startsWith('--')) {
      flags.push(tok);
      if (VALUE_FLAGS.has(tok) && i + 1 < argv.length) flags.push(argv[++i]);
      continue;
    }
    if (!tok.startsWith('-') || tok === '-' || /^-\d/.test(tok)) {
      positionals.push(tok);
      continue;
    }
    const opt = tok.slice(1);
    if (verbOf(topic, tok) === verb) continue;
    if (opt in SWITCHES) {
      flags.push(SWITCHES[opt]);
      continue;
    }
    const meaning = optionFor(topic, opt, verb);
    if (meaning === undefined) {
      throw new MccsError('USAGE', `unknown option ${tok} for ${command} -${verb}`, [`${command} -h`, `or the modern form: mccs ${topic} ${verb} --help`]);
    }
    if (meaning === 'attribute') {
      const name = valueOf(i, tok);
      const value = argv[i + 2];
      if (value === undefined) throw new MccsError('USAGE', `-a ${name} needs a value: -a Attribute value`, [`${command} -h`]);
      attributes.push(`${name}=${value}`);
      i += 2;
      continue;
    }
    const value = valueOf(i, tok);
    i++;
    if (meaning.slot === 'target') {
      if (target !== undefined && target !== value) throw new MccsError('USAGE', `${tok} given twice (${target}, ${value})`);
      target = value;
    } else if (meaning.to === '--user' || meaning.to === '--password') {
      auth.push(meaning.to, value);
    } else {
      flags.push(meaning.to, value);
    }
  }

  return [topic, verb, ...(target !== undefined ? [target] : []), ...positionals, ...attributes, ...flags, ...auth];
}

/**
 * The oclif argv for an entry point: `mcgrp ARGV` has topic "grp"; `mccs ARGV`
 * has none, but `mccs grp -online -g web` is accepted too.
 */
export function toOclifArgv(topic: Topic | undefined, argv: string[]): string[] {
  if (topic !== undefined) return isMccsSyntax(argv) ? translateMccs(topic, argv) : [topic, ...argv];
  const first = argv[0] as Topic;
  if (TOPICS.includes(first) && isMccsSyntax(argv.slice(1))) return translateMccs(first, argv.slice(1));
  return argv;
}
