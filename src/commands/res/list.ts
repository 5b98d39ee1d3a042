// mccs res list: List resources, or every attribute of one resource (resolved: resource, else Types, else default). Declared in src/cli/specs/res.ts.
import { commandFrom } from '../../cli/base-command.js';
import { spec } from '../../cli/specs/index.js';

export default commandFrom(spec('res:list'));
