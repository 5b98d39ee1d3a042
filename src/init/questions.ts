// The questions a template asks (templates/<name>.questions.json) and the
// check of one answer. Pure: the wizard, the flags path and the tests share it.
import { isIPv4, isIPv6 } from 'node:net';
import { findDeclaration, nodeAttributes } from '../model/attributes.js';

export const ANSWER_KINDS = [
  'ipv4', 'ipv6', 'ip', 'ip-list', 'node-name', 'name', 'abs-path', 'port', 'integer', 'interface', 'os-user', 'word', 'string', 'args',
] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

export interface Question {
  /** Placeholder name in the template: {{NAME}}. Also the key of `--set NAME=VALUE`. */
  name: string;
  /** What the wizard asks. */
  message: string;
  validate: AnswerKind;
  default?: string | number;
  /** An empty answer is allowed; attributes whose whole value is this placeholder are then left out. */
  optional?: boolean;
  /** For 'integer'. */
  min?: number;
  max?: number;
  /** Names of other questions whose answer must differ from this one (two nodes, two addresses). */
  differentFrom?: string[];
  /** One line of help shown by the wizard and in errors. */
  hint?: string;
}

export interface TemplateQuestions {
  /** One line: what the template sets up. */
  description: string;
  questions: Question[];
}

export type AnswerValue = string | number | string[];
export type CheckedAnswer = { ok: true; value: AnswerValue | undefined } | { ok: false; message: string };

const NAME_RE = new RegExp(findDeclaration(nodeAttributes, 'NodeName')?.pattern ?? '^[A-Za-z][A-Za-z0-9_.-]{0,62}$');
const INTERFACE_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;
const OS_USER_RE = /^[a-z_][a-z0-9_-]{0,31}\$?$/;
const WORD_RE = /^[A-Za-z0-9_.+-]{1,64}$/;

/** Shell-like split of an argument line: whitespace separates, quotes group, no expansion. A JSON array is taken as is. */
export function splitArguments(raw: string): string[] | undefined {
  const text = raw.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  const out: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) out.push(current);
  return out;
}

function isAddressWithZone(a: string): boolean {
  const [addr, zone, ...rest] = a.split('%');
  if (rest.length > 0 || addr === undefined) return false;
  if (zone === undefined) return isIPv4(addr) || isIPv6(addr);
  return isIPv6(addr) && INTERFACE_RE.test(zone);
}

/** Checks one typed answer against its question; returns the value in the type the template needs. */
export function checkAnswer(q: Question, raw: string): CheckedAnswer {
  const text = raw.trim();
  const bad = (what: string): CheckedAnswer => ({ ok: false, message: `${q.name} (${q.message}): '${raw}' ${what}` });
  if (text === '') {
    if (q.optional) return { ok: true, value: undefined };
    return { ok: false, message: `${q.name} (${q.message}): an answer is required` };
  }
  if (/[\u0000-\u001f]/.test(text)) return bad('contains control characters');
  switch (q.validate) {
    case 'ipv4':
      return isIPv4(text) ? { ok: true, value: text } : bad('is not an IPv4 address (e.g. 10.0.0.1)');
    case 'ipv6':
      return isIPv6(text) ? { ok: true, value: text } : bad('is not an IPv6 address (e.g. fd00::1)');
    case 'ip':
      return isIPv4(text) || isIPv6(text) ? { ok: true, value: text } : bad('is not an IPv4 or IPv6 address');
    case 'ip-list': {
      const list = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const wrong = list.filter((a) => !isAddressWithZone(a));
      return wrong.length === 0 ? { ok: true, value: list.join(',') } : bad(`has invalid addresses: ${wrong.join(', ')} (comma list; IPv6 link-local as addr%iface)`);
    }
    case 'node-name':
    case 'name':
      return NAME_RE.test(text) ? { ok: true, value: text } : bad('is not a valid name (a letter, then letters, digits, _ . -; at most 63 characters)');
    case 'abs-path':
      return text.startsWith('/') && !text.includes('\u0000') ? { ok: true, value: text.length > 1 ? text.replace(/\/+$/, '') : text } : bad('is not an absolute path (it must start with /)');
    case 'port': {
      const n = Number(text);
      return /^\d+$/.test(text) && n >= 1 && n <= 65535 ? { ok: true, value: n } : bad('is not a port number (1-65535)');
    }
    case 'integer': {
      const n = Number(text);
      if (!/^-?\d+$/.test(text)) return bad('is not an integer');
      if (q.min !== undefined && n < q.min) return bad(`is below the minimum ${q.min}`);
      if (q.max !== undefined && n > q.max) return bad(`is above the maximum ${q.max}`);
      return { ok: true, value: n };
    }
    case 'interface':
      return INTERFACE_RE.test(text) ? { ok: true, value: text } : bad('is not a network interface name (e.g. eth0)');
    case 'os-user':
      return OS_USER_RE.test(text) ? { ok: true, value: text } : bad('is not a valid OS user name');
    case 'word':
      return WORD_RE.test(text) ? { ok: true, value: text } : bad('must be one word (letters, digits, _ . + -)');
    case 'args': {
      const args = splitArguments(text);
      return args ? { ok: true, value: args } : bad('is not an argument list (words separated by spaces, quotes balanced, or a JSON array of strings)');
    }
    case 'string':
      return { ok: true, value: text };
  }
}

/** Checks that a questions file is well formed (used when loading a template and by the tests). */
export function questionsProblems(tq: TemplateQuestions): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  if (typeof tq.description !== 'string' || tq.description === '') problems.push('missing "description"');
  for (const q of tq.questions ?? []) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(q.name)) problems.push(`question name '${q.name}' must be UPPER_SNAKE_CASE`);
    if (names.has(q.name)) problems.push(`question '${q.name}' is declared twice`);
    names.add(q.name);
    if (!(ANSWER_KINDS as readonly string[]).includes(q.validate)) problems.push(`question '${q.name}': unknown validate kind '${q.validate}'`);
    if (q.default !== undefined) {
      const checked = checkAnswer(q, String(q.default));
      if (!checked.ok) problems.push(`question '${q.name}': its default is invalid: ${checked.message}`);
    }
  }
  for (const q of tq.questions ?? []) {
    for (const other of q.differentFrom ?? []) if (!names.has(other)) problems.push(`question '${q.name}': differentFrom names unknown question '${other}'`);
  }
  return problems;
}

/** The flag that answers a question: NODE1_PRIMARY_HB → --node1-primary-hb. */
export function flagNameFor(questionName: string): string {
  return questionName.toLowerCase().replace(/_/g, '-');
}
