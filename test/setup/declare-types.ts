// Every test file runs as the engine process does: with the agent catalog
// loaded, so each agent has declared its Type and attributes to the model
// (src/model/resource-types.ts) before anything validates a configuration
// or plans. A process without the catalog fails loudly instead
// (test/unit/type-declarations-required.test.ts).
import '../../src/engine/agents/catalog.js';
