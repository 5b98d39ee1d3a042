// Reads the templates shipped in templates/ (package root).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, resolve } from 'node:path';
import { MccsError } from '../model/errors.js';
import { questionsProblems, type TemplateQuestions } from './questions.js';

/** templates/ of the package: two levels up from src/init or dist/init. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export interface Template {
  name: string;
  description: string;
  /** main.json with placeholders. */
  body: unknown;
  questions: TemplateQuestions;
}

export function templateNames(dir = TEMPLATES_DIR): string[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (e) {
    throw new MccsError('NOT_FOUND', `cannot read the template directory ${dir}: ${(e as Error).message}`);
  }
  return files
    .filter((f) => f.endsWith('.json') && !f.endsWith('.questions.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/**
 * A shipped template by name, or a site template by path (`/etc/mccs/templates/app.json`,
 * with its questions beside it in `app.questions.json`).
 */
export function loadTemplate(name: string, dir = TEMPLATES_DIR): Template {
  if (name.includes('/')) {
    const file = resolve(name);
    return loadTemplate(basename(file).replace(/\.json$/, ''), dirname(file));
  }
  const names = templateNames(dir);
  if (!names.includes(name)) throw new MccsError('NOT_FOUND', `no template '${name}' in ${dir}`, [`choose one of: ${names.join(', ')}`]);
  const read = (file: string): unknown => {
    try {
      return JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (e) {
      throw new MccsError('INVALID', `template file ${file} is unreadable: ${(e as Error).message}`);
    }
  };
  const body = read(`${name}.json`);
  const questions = read(`${name}.questions.json`) as TemplateQuestions;
  const problems = questionsProblems(questions);
  if (problems.length > 0) throw new MccsError('INVALID', `template ${name}.questions.json is invalid: ${problems.join('; ')}`);
  return { name, description: questions.description, body, questions };
}
