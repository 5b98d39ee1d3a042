// mccs users delete: Delete a user. Declared in src/cli/specs/users.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('users:delete'));
