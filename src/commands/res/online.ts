// mccs res online: Bring a resource online, with the children it STRONGly depends on. Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:online'));
