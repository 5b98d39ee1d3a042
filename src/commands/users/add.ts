// mccs users add: Add a user (Administrator: every command; Monitor: read-only). Declared in src/cli/specs/users.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('users:add'));
