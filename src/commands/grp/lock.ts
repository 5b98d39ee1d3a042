// mccs grp lock: Lock a group: online, offline and switch requests are refused. Declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:lock'));
