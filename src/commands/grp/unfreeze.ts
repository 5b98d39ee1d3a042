// mccs grp unfreeze: Unfreeze a group: the engine acts on it again. Declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:unfreeze'));
