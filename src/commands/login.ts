// mccs login NAME: declared in src/cli/specs/login.ts.
import { commandFrom } from '../cli/base-command.js';
import { spec } from '../cli/specs/index.js';

export default commandFrom(spec('login'));
