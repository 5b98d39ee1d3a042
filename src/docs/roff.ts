// Just enough roff for man(7) pages: escaping and a few block helpers.

/** Escapes text for a roff text line: backslashes, ASCII hyphens, non-ASCII as \[uXXXX], control words at line start. */
export function esc(text: string): string {
  let out = '';
  for (const ch of text.replace(/\\/g, '\u0000')) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\u0000') out += '\\e';
    else if (ch === '-') out += '\\-';
    else if (cp > 126) out += `\\[u${cp.toString(16).toUpperCase().padStart(4, '0')}]`;
    else if (cp < 32 && ch !== '\n') out += ' ';
    else out += ch;
  }
  return out
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

/** Running text: blank lines become paragraph breaks (roff has no blank lines). */
export function paragraphs(text: string): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => esc(p.replace(/\n/g, ' ').replace(/\s+/g, ' ').trim()))
    .join('\n.PP\n');
}

/** A literal block (examples, JSON): no filling, no adjusting, indented. */
export function literal(text: string): string {
  return ['.RS 4', '.nf', ...text.replace(/\s+$/, '').split('\n').map((l) => (l === '' ? '\\&' : esc(l))), '.fi', '.RE'].join('\n');
}

/** Quoted macro argument (for .SH/.SS/.TP titles). */
export function arg(text: string): string {
  return `"${esc(text).replace(/"/g, '\\(dq')}"`;
}

/** A tagged paragraph: tag line in bold, then the body. */
export function tagged(tag: string, body: string): string {
  return `.TP\n${tag}\n${body}`;
}

export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => cells.map(esc).join('\t');
  return ['.TS', 'tab(\t);', `${headers.map(() => 'l').join(' ')}.`, `${headers.map((h) => `\\fB${esc(h)}\\fR`).join('\t')}`, '_', ...rows.map(line), '.TE'].join('\n');
}
