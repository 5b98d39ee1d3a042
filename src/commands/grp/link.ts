// mccs grp link: Add a dependency: PARENT depends on CHILD (OnlineDependency / OfflineDependency STRONG or WEAK). Declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:link'));
