// mccs grp delete: Delete a group and its resources (refused while it is online, unless --force). Declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:delete'));
