// mccs node list: List nodes, or every attribute of one node. Declared in src/cli/specs/node.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('node:list'));
