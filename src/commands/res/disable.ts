// mccs res disable: Disable a resource: neither started, stopped nor monitored. Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:disable'));
