// mccs grp freeze: Freeze a group (maintenance): the engine watches and reports but never acts. Declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:freeze'));
