// mccs users list: List users and their roles. Declared in src/cli/specs/users.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('users:list'));
