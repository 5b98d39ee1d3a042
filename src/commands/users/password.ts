// mccs users password: Change a user's password. Declared in src/cli/specs/users.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('users:password'));
