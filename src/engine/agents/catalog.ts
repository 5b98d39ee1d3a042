// Every resource type the engine knows, by Type name. An agent is added here
// with one import line and one entry in `all`; its attribute declarations
// join the schema of main.json.
import type { Agent } from './agent.js';

const all: Agent[] = [
];

export const agents: Record<string, Agent> = Object.fromEntries(all.map((a) => [a.type, a]));

/** Other names accepted for a Type (MCCS compatibility). */
export const typeAliases: Record<string, string> = { PPAS: 'PostgreSQL' };

export function agentFor(type: string): Agent | undefined {
  return agents[typeAliases[type] ?? type];
}
