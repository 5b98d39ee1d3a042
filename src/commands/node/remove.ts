// mccs node remove: declared in src/cli/specs/node.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('node:remove'));
