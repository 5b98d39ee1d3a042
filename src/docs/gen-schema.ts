// Writes schema/main.schema.json: the published JSON Schema of main.json, for
// editors and CI pipelines. The engine validates with the same declarations
// (src/model/config.ts); resources are checked per Type here with if/then.
import { writeFileSync } from 'node:fs';
import { agents, typeAliases } from '../engine/agents/catalog.js';
import { typeAttributes } from '../model/attributes.js';
import { mainSchema, MAX_NODES_WITHOUT_WITNESS, objectSchema, resourceSchema, type JsonSchema } from '../model/schema.js';

export function publishedSchema(): JsonSchema {
  const typeNames = [...Object.keys(agents), ...Object.keys(typeAliases)];
  const schema = mainSchema(typeNames) as { properties: Record<string, JsonSchema> };
  const byType = typeNames.map((name) => {
    const agent = agents[typeAliases[name] ?? name]!;
    return { if: { properties: { Type: { const: name } }, required: ['Type'] }, then: resourceSchema(agent.attributes) };
  });
  const groups = schema.properties.Groups as { items: { properties: { Resources: { items: JsonSchema } } } };
  groups.items.properties.Resources.items = { ...groups.items.properties.Resources.items, allOf: byType };
  schema.properties.Types = {
    type: 'object',
    properties: Object.fromEntries(typeNames.map((name) => [name, { ...objectSchema([...typeAttributes, ...agents[typeAliases[name] ?? name]!.attributes]), required: [] }])),
    additionalProperties: false,
  };
  // The engine says it in its own words (model/config.ts); editors learn it from here.
  (schema as JsonSchema).allOf = [
    {
      if: { properties: { Nodes: { minItems: MAX_NODES_WITHOUT_WITNESS + 1 } }, required: ['Nodes'] },
      then: { properties: { Cluster: { properties: { WitnessType: { const: 'etcd' } }, required: ['WitnessType'] } } },
    },
  ];
  return schema;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'schema/main.schema.json';
  writeFileSync(out, `${JSON.stringify(publishedSchema(), null, 2)}\n`);
  console.log(`wrote ${out}`);
}
