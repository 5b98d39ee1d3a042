// Every resource type the engine knows, by Type name. An agent is added here
// with one import line and one entry in `all`; loading the catalog declares
// each agent's Type and attributes to the model (src/model/resource-types.ts),
// where they join the schema of main.json.
import { declareResourceType, typeAliases } from '../../model/resource-types.js';
import type { Agent } from './agent.js';
import { processAgent } from './process.js';
import { applicationAgent } from './application.js';
import { nicAgent } from './nic.js';
import { ipAgent } from './ip.js';
import { sharedDiskAgent } from './shared-disk.js';
import { mirrorDiskAgent } from './mirror-disk.js';
import { serviceAgent } from './service.js';
import { oracleAgent, oracleListenerAgent } from './oracle.js';
import { postgresqlAgent } from './postgresql.js';
import { postgresqlReplicationAgent } from './postgresql-replication.js';
import { sharedDiskDrAgent, mirrorDiskDrAgent } from './dr.js';

const all: Agent[] = [
  processAgent,
  applicationAgent,
  nicAgent,
  ipAgent,
  sharedDiskAgent,
  mirrorDiskAgent,
  serviceAgent,
  oracleAgent,
  oracleListenerAgent,
  postgresqlAgent,
  postgresqlReplicationAgent,
  sharedDiskDrAgent,
  mirrorDiskDrAgent,
];

export const agents: Record<string, Agent> = Object.fromEntries(all.map((a) => [a.type, a]));

for (const agent of all) declareResourceType(agent);

export { typeAliases };

export function agentFor(type: string): Agent | undefined {
  return agents[typeAliases[type] ?? type];
}
