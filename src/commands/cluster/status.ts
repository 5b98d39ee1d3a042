// mccs cluster status: Nodes, links, groups and resources at a glance, with warnings (jeopardy, no fencing…). Declared in src/cli/specs/cluster.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('cluster:status'));
