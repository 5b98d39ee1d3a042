// mccs res state: State of resources on each node, with the one-line reason of the last observation. Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:state'));
