// mccs witness check: reachability of the witness from this node, latency, what it owns there. Declared in src/cli/specs/witness.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('witness:check'));
