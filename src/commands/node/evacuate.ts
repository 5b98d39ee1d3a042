// mccs node evacuate: Switch every failover group online on a node to another node (before maintenance or a planned stop). Declared in src/cli/specs/node.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('node:evacuate'));
