// mccs res delete: Delete a resource (refused while it is online or linked, unless --force). Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:delete'));
