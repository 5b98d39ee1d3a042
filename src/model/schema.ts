// The JSON Schema of main.json, built from the attribute declarations (one
// declaration per attribute; nothing is written twice). Resources are checked
// against the schema of their own Type, so an error names the type.
import {
  clusterAttributes,
  dependencyAttributes,
  groupAttributes,
  nodeAttributes,
  resourceAttributes,
  typeAttributes,
  lengthLimits,
  type AttributeDeclaration,
} from './attributes.js';

export type JsonSchema = Record<string, unknown>;

/** Most nodes a cluster holds. */
export const MAX_NODES = 16;
/** More nodes than this need the etcd witness (membership and ownership live there). */
export const MAX_NODES_WITHOUT_WITNESS = 2;

/** A program given as a string: one absolute executable path, no blanks (a command line is refused; arguments go in the array form). */
export const PROGRAM_PATTERN = '^(/\\S*)?$';

function propertySchema(decl: AttributeDeclaration): JsonSchema {
  const s: JsonSchema = { description: decl.description };
  switch (decl.kind) {
    case 'string':
      s.type = 'string';
      if (decl.pattern) s.pattern = decl.pattern;
      s.maxLength = lengthLimits(decl).maxLength;
      break;
    case 'integer':
      s.type = 'integer';
      break;
    case 'number':
      s.type = 'number';
      break;
    case 'boolean':
      s.type = 'boolean';
      break;
    case 'string[]':
      s.type = 'array';
      s.items = { type: 'string', maxLength: lengthLimits(decl).maxLength };
      s.maxItems = lengthLimits(decl).maxItems;
      break;
    case 'enum':
      s.enum = decl.values;
      break;
    case 'program':
      // One executable path, or [path, arg…] (pattern applies to the string, items to the array).
      s.type = ['string', 'array'];
      s.pattern = PROGRAM_PATTERN;
      s.maxLength = lengthLimits(decl).maxLength;
      s.items = { type: 'string', maxLength: lengthLimits(decl).maxLength };
      s.maxItems = lengthLimits(decl).maxItems;
      break;
  }
  if (decl.minimum !== undefined) s.minimum = decl.minimum;
  if (decl.maximum !== undefined) s.maximum = decl.maximum;
  if (decl.default !== undefined) s.default = decl.default;
  return s;
}

/** Attributes an operator may write in main.json (not the ones the engine reports). */
export function storable(decls: AttributeDeclaration[]): AttributeDeclaration[] {
  return decls.filter((d) => d.editable || d.stored);
}

export function objectSchema(decls: AttributeDeclaration[], extra: JsonSchema = {}): JsonSchema {
  const list = storable(decls);
  return {
    type: 'object',
    properties: { ...Object.fromEntries(list.map((d) => [d.name, propertySchema(d)])), ...extra },
    required: list.filter((d) => d.required).map((d) => d.name),
    additionalProperties: false,
  };
}

/** Schema of one resource of a given type: common + type-shared + the agent's own attributes. */
export function resourceSchema(agentAttributes: AttributeDeclaration[]): JsonSchema {
  return objectSchema([...resourceAttributes, ...typeAttributes, ...agentAttributes]);
}

/**
 * Schema of the whole file. Resources are only checked for ResName/Type here;
 * their attributes are checked per type by resourceSchema (clearer errors).
 */
export function mainSchema(typeNames: string[]): JsonSchema {
  const resourceShape = {
    type: 'object',
    properties: {
      ResName: propertySchema(resourceAttributes.find((d) => d.name === 'ResName')!),
      Type: { type: 'string', enum: typeNames, description: 'Resource type (agent).' },
    },
    required: ['ResName', 'Type'],
  };
  const groupSchema = objectSchema(groupAttributes, {
    Resources: { type: 'array', maxItems: 1024, items: resourceShape },
    Dependencies: { type: 'array', maxItems: 4096, items: objectSchema(dependencyAttributes) },
  });
  (groupSchema.required as string[]).push('Resources');
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://mccs.dev/schema/main.json',
    title: 'mccs main.json',
    type: 'object',
    properties: {
      ConfigVersion: { type: 'integer', minimum: 0, description: 'Raised by every configuration change; the highest wins when nodes meet.' },
      Cluster: objectSchema(clusterAttributes),
      Nodes: { type: 'array', minItems: 1, maxItems: MAX_NODES, description: `1 to ${MAX_NODES} nodes; more than ${MAX_NODES_WITHOUT_WITNESS} need Cluster WitnessType etcd.`, items: objectSchema(nodeAttributes) },
      Types: {
        type: 'object',
        propertyNames: { enum: typeNames },
        additionalProperties: { type: 'object' },
      },
      Groups: { type: 'array', maxItems: 1024, items: groupSchema },
    },
    required: ['ConfigVersion', 'Cluster', 'Nodes', 'Groups'],
    additionalProperties: false,
  };
}
