// mccs grp add: Add a group (empty; add resources with mcres add). Declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:add'));
