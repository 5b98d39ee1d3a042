// Every resource type the engine knows, by Type name. An agent is added here
// with one import and one entry; its attribute declarations join the schema.
import type { Agent } from './agent.js';

export const agents: Record<string, Agent> = {};

/** Other names accepted for a Type (MCCS compatibility). */
export const typeAliases: Record<string, string> = { PPAS: 'PostgreSQL' };

export function agentFor(type: string): Agent | undefined {
  return agents[typeAliases[type] ?? type];
}
