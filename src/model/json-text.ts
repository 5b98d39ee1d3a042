// Reading the JSON of a configuration file strictly:
// - a syntax error is reported by its position only (line, column, byte):
//   the message of JSON.parse quotes the text, and the file may be anything
//   (a mistaken symlink to /etc/shadow, a secret);
// - a key given twice in one object is an error naming its JSON path (JSON.parse
//   would silently keep the last one, so an edit could be lost unseen).
import { MccsError } from './errors.js';

export interface DuplicateKey {
  /** JSON pointer of the repeated key, e.g. "/Groups/0/Resources/1/Path". */
  path: string;
}

const MAX_DEPTH = 256;

class Scanner {
  at = 0;
  readonly duplicates: DuplicateKey[] = [];
  constructor(private readonly text: string) {}

  fail(): never {
    throw new ScanError(this.at);
  }

  ws(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at]!)) this.at++;
  }

  value(path: string, depth: number): void {
    if (depth > MAX_DEPTH) this.fail();
    this.ws();
    const c = this.text[this.at];
    if (c === '{') this.object(path, depth);
    else if (c === '[') this.array(path, depth);
    else if (c === '"') this.string();
    else if (c === 't') this.word('true');
    else if (c === 'f') this.word('false');
    else if (c === 'n') this.word('null');
    else this.number();
  }

  object(path: string, depth: number): void {
    this.at++;
    const seen = new Set<string>();
    this.ws();
    if (this.text[this.at] === '}') {
      this.at++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.text[this.at] !== '"') this.fail();
      const start = this.at;
      this.string();
      const key = JSON.parse(this.text.slice(start, this.at)) as string;
      const keyPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (seen.has(key)) this.duplicates.push({ path: keyPath });
      seen.add(key);
      this.ws();
      if (this.text[this.at] !== ':') this.fail();
      this.at++;
      this.value(keyPath, depth + 1);
      this.ws();
      const c = this.text[this.at++];
      if (c === '}') return;
      if (c !== ',') {
        this.at--;
        this.fail();
      }
    }
  }

  array(path: string, depth: number): void {
    this.at++;
    this.ws();
    if (this.text[this.at] === ']') {
      this.at++;
      return;
    }
    for (let i = 0; ; i++) {
      this.value(`${path}/${i}`, depth + 1);
      this.ws();
      const c = this.text[this.at++];
      if (c === ']') return;
      if (c !== ',') {
        this.at--;
        this.fail();
      }
    }
  }

  string(): void {
    this.at++;
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined || c < ' ') this.fail();
      this.at++;
      if (c === '"') return;
      if (c === '\\') {
        const e = this.text[this.at];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at + 1, this.at + 5))) this.fail();
          this.at += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) this.at++;
        else this.fail();
      }
    }
  }

  word(w: string): void {
    if (this.text.startsWith(w, this.at)) this.at += w.length;
    else this.fail();
  }

  number(): void {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.at, this.at + 64));
    if (!m || m[0] === '') this.fail();
    this.at += m[0].length;
  }
}

class ScanError extends Error {
  constructor(readonly at: number) {
    super('syntax');
  }
}

/** Line and column (1-based) of a character offset. */
function position(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

/** Scans valid or invalid JSON: the offset of the first syntax error (if any) and every repeated key. */
export function scanJson(text: string): { errorAt?: number; duplicates: DuplicateKey[] } {
  const s = new Scanner(text);
  try {
    s.value('', 0);
    s.ws();
    if (s.at < text.length) s.fail();
    return { duplicates: s.duplicates };
  } catch (e) {
    if (e instanceof ScanError) return { errorAt: e.at, duplicates: s.duplicates };
    throw e;
  }
}

/**
 * JSON.parse for configuration files: syntax errors and repeated keys are
 * MccsError INVALID naming the position or the JSON path, never the content.
 */
export function parseJsonStrict(text: string, source: string): unknown {
  const scan = scanJson(text);
  let value: unknown;
  try {
    if (scan.errorAt !== undefined) throw new Error('syntax');
    value = JSON.parse(text);
  } catch {
    const at = Math.min(scan.errorAt ?? 0, text.length);
    const { line, column } = position(text, at);
    const where = `line ${line}, column ${column} (character ${at})`;
    throw new MccsError('INVALID', `${source} is not valid JSON: syntax error at ${where}`, [`fix the syntax of ${source} at ${where}`], [{ path: '', message: `syntax error at ${where}` }]);
  }
  if (scan.duplicates.length > 0) {
    const errors = scan.duplicates.map((d) => ({ path: d.path, message: 'key given twice in one object (only one may be given)' }));
    throw new MccsError('INVALID', `${source} is invalid:\n  ${errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}`, [`remove the repeated keys from ${source}; the running configuration is unchanged`], errors);
  }
  return value;
}
