// mccs grp online: Bring a group online on a node (children first). Declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:online'));
