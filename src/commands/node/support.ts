// mccs node support: Download a support archive (tar.gz: logs, event log, config with secrets removed, states, system facts). Declared in src/cli/specs/node.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('node:support'));
