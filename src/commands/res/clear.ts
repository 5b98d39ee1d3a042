// mccs res clear: Clear FAULTED on a resource (and its restart count) on a node. Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:clear'));
