// mccs res add: Add a resource of a type to a group. Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:add'));
