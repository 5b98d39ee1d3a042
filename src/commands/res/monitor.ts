// mccs res monitor: Watch resource states live (every 3 s by default) until Ctrl-C. Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:monitor'));
