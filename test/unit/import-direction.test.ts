// Imports run one way (ARCHITECTURE.md, "Rooms, and the one-way rule"): a
// room of src/ imports only rooms of its own rank or lower. Every import of
// every file under src/ is read with the TypeScript compiler's own scanner
// (static imports, `import type`, re-exports and literal `import('…')`), and
// each import that runs the wrong way is named with both files and rooms.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/**
 * The rank of each room (a folder directly under src/); README.md, "How it
 * is built", says what each holds. A room may import its own rank and below.
 */
const RANKS: Record<string, number> = {
  limits: 0, // constants and guards on untrusted input, used everywhere
  model: 1, // main.json: schema, attribute and resource-type declarations, validation
  system: 2, // facts of the host read from /proc and /sys; signalling processes
  engine: 3, // policy (pure), executor, agents, monitor loop, event log, config store
  auth: 4, // users, passwords, login throttling
  witness: 4, // the witness on etcd (attached by the cluster)
  discover: 4, // what runs on a host, as proposals for main.json
  cluster: 5, // heartbeat links, node states, fault decisions, config replication
  api: 6, // the JSON API the CLI, the console and the peer call
  cli: 7, // syntax, rendering, the API client of the commands
  console: 7, // the web console server
  init: 7, // mccs init / join
  notify: 7, // notifications of events
  metrics: 7, // the Prometheus endpoint
  docs: 7, // man pages and the JSON schema, generated from the declarations
  daemon: 8, // the running engine process: engine, cluster, API, metrics, notify
  commands: 9, // oclif commands: thin, on top of everything
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

interface BackwardImport {
  from: string;
  fromRoom: string;
  to: string;
  toRoom: string;
}

/** Every import under `root` (a src/ tree) from a room to a room of higher rank; unknown rooms are reported too. */
function backwardImports(root = SRC, ranks = RANKS): { backward: BackwardImport[]; unranked: string[] } {
  const backward: BackwardImport[] = [];
  const unranked = new Set<string>();
  for (const file of sourceFiles(root)) {
    const fromRoom = relative(root, file).split(sep)[0]!;
    if (!(fromRoom in ranks)) unranked.add(fromRoom);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue; // a package, not a room
      const target = resolve(dirname(file), fileName);
      const rel = relative(root, target);
      if (rel.startsWith('..')) continue; // outside src/
      const toRoom = rel.split(sep)[0]!;
      if (!(toRoom in ranks)) unranked.add(toRoom);
      if ((ranks[fromRoom] ?? Infinity) < (ranks[toRoom] ?? -Infinity)) {
        backward.push({ from: relative(root, file), fromRoom, to: rel, toRoom });
      }
    }
  }
  return { backward, unranked: [...unranked].sort() };
}

describe('imports run one way: model ← system ← engine ← cluster ← api ← cli/commands', () => {
  it('every room under src/ has a rank', () => {
    const rooms = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    expect(rooms.filter((r) => !(r in RANKS))).toEqual([]);
    expect(backwardImports().unranked).toEqual([]);
  });

  it('no room imports a room above it', () => {
    const lines = backwardImports().backward.map((b) => `${b.from} (${b.fromRoom}, rank ${RANKS[b.fromRoom]}) imports ${b.to} (${b.toRoom}, rank ${RANKS[b.toRoom]})`);
    expect(lines).toEqual([]);
  });

  it('finds a backward import, static or dynamic, when there is one', () => {
    // The check itself, on the real files: the model ranked above the engine makes every engine → model import backward.
    const swapped = { ...RANKS, model: RANKS.engine! + 1 };
    const found = backwardImports(SRC, swapped).backward;
    expect(found.some((b) => b.from === join('engine', 'engine.ts') && b.toRoom === 'model')).toBe(true);
    // A literal import('…') counts too (init/join.ts loads the validator so).
    const lazy = { ...RANKS, init: 0 };
    expect(backwardImports(SRC, lazy).backward.some((b) => b.from === join('init', 'join.ts') && b.to === join('model', 'config.js'))).toBe(true);
  });
});
