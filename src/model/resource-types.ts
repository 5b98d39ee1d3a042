// The resource types main.json may use, as the agents declare them: each
// agent (src/engine/agents) declares its Type name and its attributes here
// once, when the agent catalog loads. The model validates configurations
// against what was declared and never imports the agents above it.
import type { AttributeDeclaration } from './attributes.js';

export interface ResourceTypeDeclaration {
  type: string;
  /** true: monitor-only (NIC): never started or stopped. */
  monitorOnly?: boolean;
  /** Type-specific attributes (common ones are declared in attributes.ts). */
  attributes: AttributeDeclaration[];
}

/** Other names accepted for a Type (MCCS compatibility). */
export const typeAliases: Record<string, string> = { PPAS: 'PostgreSQL' };

const declared = new Map<string, ResourceTypeDeclaration>();

/** Called by the agent catalog (src/engine/agents/catalog.ts) for every agent. */
export function declareResourceType(declaration: ResourceTypeDeclaration): void {
  declared.set(declaration.type, declaration);
}

function known(): Map<string, ResourceTypeDeclaration> {
  // A program that validates main.json or plans without having loaded the agents would call every Type
  // unknown and every NIC a resource to start: it fails here, loudly, instead.
  if (declared.size === 0) throw new Error('no resource type is declared: the process must import src/engine/agents/catalog.js before it validates a configuration or plans');
  return declared;
}

/** Every Type name main.json accepts: the declared ones, then their aliases. */
export function resourceTypeNames(): string[] {
  return [...known().keys(), ...Object.keys(typeAliases)];
}

/** The declaration of a Type (or of the Type an alias stands for). */
export function resourceType(name: string): ResourceTypeDeclaration | undefined {
  return known().get(typeAliases[name] ?? name);
}
