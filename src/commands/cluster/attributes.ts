// mccs cluster attributes: Every attribute of main.json: scope, type, default, editable, description (no engine needed). Declared in src/cli/specs/cluster.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('cluster:attributes'));
