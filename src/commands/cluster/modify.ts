// mccs cluster modify: Change cluster attributes (HBInterval, HBTimeout, StartAloneTimeout, FenceProgram…). Declared in src/cli/specs/cluster.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('cluster:modify'));
