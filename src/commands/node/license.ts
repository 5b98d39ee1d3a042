// mccs node license: Store a license key (attribute License). Declared in src/cli/specs/node.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('node:license'));
