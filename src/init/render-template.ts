// Template + answers → main.json. Pure (no I/O): the wizard, the flags path
// and the template tests all go through here.
//
// A template is a main.json with {{NAME}} placeholders. A string that is only
// a placeholder takes the answer in its own type (a port becomes a number, an
// argument list an array; an empty optional answer drops the attribute); a
// placeholder inside a longer string is replaced by the answer's text.
import { isIPv4 } from 'node:net';
import { MccsError } from '../model/errors.js';
import type { MainConfig } from '../model/types.js';
import { checkAnswer, type AnswerValue, type Question, type TemplateQuestions } from './questions.js';

const WHOLE = /^\{\{([A-Z][A-Z0-9_]*)\}\}$/;
const ANY = /\{\{([A-Z][A-Z0-9_]*)\}\}/g;
const OMIT = Symbol('omit');

export interface ResolvedAnswers {
  /** Checked values by question name (undefined: optional and left empty). */
  values: Record<string, AnswerValue | undefined>;
  /** Questions with no answer and no default. */
  missing: Question[];
  /** One message per bad answer, each naming its question. */
  errors: string[];
}

/**
 * Checks every answer; a question left unanswered takes its default. Answers
 * to questions the template does not ask are errors (a typo in `--set`).
 */
export function resolveAnswers(questions: TemplateQuestions, answers: Record<string, string | undefined>): ResolvedAnswers {
  const values: Record<string, AnswerValue | undefined> = {};
  const missing: Question[] = [];
  const errors: string[] = [];
  const known = new Set(questions.questions.map((q) => q.name));
  for (const name of Object.keys(answers)) {
    if (!known.has(name)) errors.push(`${name}: this template asks no such question (it asks ${[...known].join(', ')})`);
  }
  for (const q of questions.questions) {
    const raw = answers[q.name] ?? (q.default === undefined ? undefined : String(q.default));
    if (raw === undefined) {
      if (q.optional) values[q.name] = undefined;
      else missing.push(q);
      continue;
    }
    const checked = checkAnswer(q, raw);
    if (checked.ok) values[q.name] = checked.value;
    else errors.push(checked.message);
  }
  errors.push(...crossChecks(questions.questions, values));
  return { values, missing, errors };
}

/** Checks that relate two answers: distinct node names and addresses, a prefix that fits its address. */
export function crossChecks(questions: Question[], values: Record<string, AnswerValue | undefined>): string[] {
  const errors: string[] = [];
  for (const q of questions) {
    const v = values[q.name];
    if (v === undefined) continue;
    for (const other of q.differentFrom ?? []) {
      if (values[other] !== undefined && String(values[other]) === String(v)) errors.push(`${q.name} (${q.message}): '${String(v)}' is already the answer to ${other}; they must differ`);
    }
    if (q.name.endsWith('PREFIX')) {
      const address = values[q.name.replace(/PREFIX$/, 'VIP')];
      if (typeof address === 'string' && typeof v === 'number' && isIPv4(address) && v > 32) errors.push(`${q.name} (${q.message}): ${v} is too long for the IPv4 address ${address} (at most 32)`);
    }
  }
  return errors;
}

/** Every placeholder name a template uses. */
export function placeholdersOf(template: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') for (const m of node.matchAll(ANY)) found.add(m[1]!);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(template);
  return found;
}

function substitute(node: unknown, values: Record<string, AnswerValue | undefined>): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole) return values[whole[1]!] ?? OMIT;
    return node.replace(ANY, (_m, name: string) => {
      const v = values[name];
      return v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
    });
  }
  if (Array.isArray(node)) return node.map((n) => substitute(n, values)).filter((n) => n !== OMIT);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const s = substitute(v, values);
      if (s !== OMIT) out[k] = s;
    }
    return out;
  }
  return node;
}

/**
 * Renders a template with the operator's answers.
 * Throws MccsError USAGE (exit 2) listing every unanswered question, or
 * INVALID (exit 3) listing every bad answer, each naming its question.
 */
export function renderTemplate(template: unknown, questions: TemplateQuestions, answers: Record<string, string | undefined>): MainConfig {
  const asked = new Set(questions.questions.map((q) => q.name));
  const unasked = [...placeholdersOf(template)].filter((p) => !asked.has(p));
  if (unasked.length > 0) throw new MccsError('INVALID', `template uses placeholders no question answers: ${unasked.join(', ')}`, ['fix the template or its .questions.json']);
  const resolved = resolveAnswers(questions, answers);
  if (resolved.missing.length > 0) {
    throw new MccsError('USAGE', `missing answers: ${resolved.missing.map((q) => `${q.name} (${q.message})`).join(', ')}`, ['give each one with its flag or --set NAME=VALUE'], { missing: resolved.missing.map((q) => q.name) });
  }
  if (resolved.errors.length > 0) {
    throw new MccsError('INVALID', `invalid answers:\n  ${resolved.errors.join('\n  ')}`, ['correct the values named above'], { errors: resolved.errors });
  }
  return substitute(template, resolved.values) as MainConfig;
}
