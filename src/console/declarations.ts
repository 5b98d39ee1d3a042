// The attribute declarations the page builds its forms from (the same ones
// that build the JSON Schema of main.json): read-only ones grey, editable
// ones white, defaults shown, per resource type.
import { agents } from '../engine/agents/catalog.js';
import { clusterAttributes, dependencyAttributes, groupAttributes, nodeAttributes, resourceAttributes, typeAttributes, type AttributeDeclaration } from '../model/attributes.js';

export interface DeclarationsView {
  cluster: AttributeDeclaration[];
  node: AttributeDeclaration[];
  group: AttributeDeclaration[];
  resource: AttributeDeclaration[];
  type: AttributeDeclaration[];
  dependency: AttributeDeclaration[];
  /** Type name → the agent's own attributes. */
  types: Record<string, AttributeDeclaration[]>;
}

export function declarationsView(): DeclarationsView {
  return {
    cluster: clusterAttributes,
    node: nodeAttributes,
    group: groupAttributes,
    resource: resourceAttributes,
    type: typeAttributes,
    dependency: dependencyAttributes,
    types: Object.fromEntries(Object.values(agents).map((a) => [a.type, a.attributes])),
  };
}
