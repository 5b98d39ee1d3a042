// mccs cluster events: The event log: one line per decision (time, node, subject, old → new state, cause, rule). Declared in src/cli/specs/cluster.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('cluster:events'));
