// Load and Capacity as the page shows them (no rendering here: plain data
// from the engine's cluster.status, so a unit test reads it without a browser).
// The engine computes LoadInUse and AvailableCapacity (the figures of
// `mcnode list NODE`); the page only adds which groups make up the load.

/** Group states that weigh on a node, as placement counts them. */
const ACTIVE = ['ONLINE', 'PARTIAL', 'STARTING'];

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A group's Load as placement counts it: 0 for PARALLEL groups. */
export function groupLoad(group) {
  if (group.attributes.GroupType === 'PARALLEL') return 0;
  return num(group.attributes.Load) ?? 0;
}

/**
 * One node's figures: capacity (undefined = unlimited), inUse, available
 * (undefined without Capacity) and the groups counted in inUse.
 */
export function nodeLoad(status, name) {
  const node = status.nodes.find((n) => n.NodeName === name);
  const a = node?.attributes ?? {};
  const groups = status.groups
    .filter((g) => groupLoad(g) > 0 && ACTIVE.includes(g.states[name]))
    .map((g) => ({ group: g.GroupName, load: groupLoad(g), state: g.states[name] }));
  const counted = groups.reduce((s, g) => s + g.load, 0);
  const capacity = num(a.Capacity);
  const inUse = num(a.LoadInUse) ?? counted;
  const available = num(a.AvailableCapacity) ?? (capacity === undefined ? undefined : capacity - inUse);
  return { node: name, capacity, inUse, available, groups, full: available !== undefined && available <= 0 };
}

/** Every node of the cluster, in the order of Nodes. */
export function nodeLoads(status) {
  return status.nodes.map((n) => nodeLoad(status, n.NodeName));
}

/** "40 of 100 in use, 60 available: web 40" / "40 in use, no Capacity (unlimited)". */
export function loadSentence(l) {
  const of = l.capacity === undefined ? `${l.inUse} in use, no Capacity (unlimited)` : `${l.inUse} of ${l.capacity} in use, ${l.available} available`;
  return l.groups.length === 0 ? `${of}; no group with a Load is active here` : `${of}: ${l.groups.map((g) => `${g.group} ${g.load}`).join(', ')}`;
}
