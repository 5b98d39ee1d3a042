// mccs res offline: Take a resource offline, with the parents that STRONGly depend on it. Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:offline'));
