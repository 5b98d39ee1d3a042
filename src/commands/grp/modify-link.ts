// mccs grp modify-link: declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:modify-link'));
