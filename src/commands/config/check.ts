// mccs config check: declared in src/cli/specs/config.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('config:check'));
