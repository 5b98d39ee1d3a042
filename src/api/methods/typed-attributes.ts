// Attribute values as an operator types them (any case, MCCS aliases,
// strings for numbers) turned into the typed values main.json holds, with
// unknown and read-only attributes refused.
import { findDeclaration, parseAttributeValue, type AttributeDeclaration } from '../../model/attributes.js';
import { MccsError } from '../../model/errors.js';

/** Enum values are accepted in any case (`weak` → WEAK). */
function typedValue(decl: AttributeDeclaration, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const v = parseAttributeValue(decl, raw);
  if (decl.kind === 'enum' && typeof v === 'string') return decl.values?.find((x) => x.toLowerCase() === v.toLowerCase()) ?? v;
  return v;
}

/**
 * Operator-typed attributes → typed values. Unknown: NOT_FOUND. Read-only
 * (computed, or set once at creation unless `creating`): CONFLICT.
 */
export function typedAttributes(decls: AttributeDeclaration[], raw: Record<string, unknown>, what: string, creating: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    // Any case, or an MCCS alias; stored under the declared name.
    const decl = findDeclaration(decls, key);
    if (!decl) throw new MccsError('NOT_FOUND', `${what} has no attribute '${key}'`, [`known attributes: ${decls.filter((d) => d.editable).map((d) => d.name).join(', ')}`]);
    if (!decl.editable && !(creating && decl.stored)) {
      throw new MccsError('CONFLICT', `attribute '${decl.name}' of ${what} is read-only${decl.stored ? ' (set when it is created)' : ' (reported by the engine)'}`, decl.stored ? ['delete and add it again to change it'] : []);
    }
    out[decl.name] = typedValue(decl, value);
  }
  return out;
}
