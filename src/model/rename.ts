// A node rename (MCCS manual, "How to Change the Node Name"): every place
// main.json names a node, changed in one configuration change, and the
// record that lets a daemon started as `--node OLD` find its new name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurableSync } from './durable-file.js';
import type { MainConfig } from './types.js';

export interface NodeRename {
  from: string;
  to: string;
}

/** Renames `from` to `to` in Nodes, every NodeList and every AutoStartNode of the draft. */
export function renameNodeIn(draft: MainConfig, from: string, to: string): void {
  for (const n of draft.Nodes) if (n.NodeName === from) n.NodeName = to;
  for (const g of draft.Groups) {
    g.NodeList = g.NodeList.map((n) => (n === from ? to : n));
    if (g.AutoStartNode === from) g.AutoStartNode = to;
  }
}

/**
 * The renames between two configurations: a node at the same place in Nodes
 * with the same heartbeat addresses under another name. (NodeName is
 * read-only otherwise, so nothing else changes a name in place.)
 */
export function nodeRenames(before: MainConfig, after: MainConfig): NodeRename[] {
  if (before.Nodes.length !== after.Nodes.length) return [];
  const out: NodeRename[] = [];
  before.Nodes.forEach((old, i) => {
    const now = after.Nodes[i]!;
    if (old.NodeName !== now.NodeName && old.PrimaryHB === now.PrimaryHB && old.SecondaryHB === now.SecondaryHB && !after.Nodes.some((n) => n.NodeName === old.NodeName)) {
      out.push({ from: old.NodeName, to: now.NodeName });
    }
  });
  return out;
}

/** `config/node-renames.json`: old name → current name, kept on every node. */
export function renamesFile(configDir: string): string {
  return join(configDir, 'node-renames.json');
}

export function readRenames(configDir: string): Record<string, string> {
  const path = renamesFile(configDir);
  if (!existsSync(path)) return {};
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (data && typeof data === 'object' && !Array.isArray(data)) return Object.fromEntries(Object.entries(data).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  } catch {
    // An unreadable record is no record: the name given is used as it is.
  }
  return {};
}

/** Adds renames to the record: every old name points at the current one, and a current name is never an old one. */
export function recordRenames(configDir: string, renames: NodeRename[]): void {
  const map = readRenames(configDir);
  for (const { from, to } of renames) {
    delete map[to];
    for (const k of Object.keys(map)) if (map[k] === from) map[k] = to;
    map[from] = to;
  }
  const path = renamesFile(configDir);
  writeDurableSync(path, `${JSON.stringify(map, null, 2)}\n`, 0o644);
}

/** The name a daemon asked to run as `requested` has now: itself when main.json still has it, else its recorded new name. */
export function currentNodeName(requested: string | undefined, names: string[], renames: Record<string, string>): { name: string | undefined; renamedFrom?: string } {
  if (requested === undefined || names.includes(requested)) return { name: requested };
  const to = renames[requested];
  return to !== undefined && names.includes(to) ? { name: to, renamedFrom: requested } : { name: requested };
}
