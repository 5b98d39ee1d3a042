// The pure policy, as the engine, the API (--dry-run) and the tests use it.
export { plan } from './plan.js';
export { groupState, groupStates, nodesWhere, ONLINE_STATES, ACTIVE_STATES } from './group-state.js';
export { failoverTarget, autoStartNode, candidates } from './placement.js';
export { loadOf, capacityOf, roomOn, type Room } from './capacity.js';
export { healWinner, STORAGE_TYPES, type HealCandidate, type HealRule } from './heal.js';
export { STEP_CODES, PLAN_CODES, SKIP_CODES, type DecisionCode } from './codes.js';
export type * from './types.js';
