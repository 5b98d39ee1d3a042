// mccs grp state: State of groups on each node (ONLINE, OFFLINE, PARTIAL, FAULTED…), with Frozen and Locked. Declared in src/cli/specs/grp.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('grp:state'));
