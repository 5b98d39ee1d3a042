// Attribute values as an operator types them (any case, MCCS aliases,
// strings for numbers) turned into the typed values main.json holds, with
// unknown and read-only attributes refused: the one conversion behind
// cluster, node, group, resource and dependency -modify and -add.
import { findDeclaration, parseAttributeValue, type AttributeDeclaration } from '../../model/attributes.js';
import { MccsError } from '../../model/errors.js';

/** Enum values are accepted in any case (`weak` → WEAK). */
function typedValue(decl: AttributeDeclaration, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const v = parseAttributeValue(decl, raw);
  if (decl.kind === 'enum' && typeof v === 'string') return decl.values?.find((x) => x.toLowerCase() === v.toLowerCase()) ?? v;
  return v;
}

export interface TypedOptions {
  /** Adding the object: attributes set once at its creation (`stored`) are accepted. */
  creating?: boolean;
  /** --force: attributes with a documented forced change (`forceEditable`) are accepted. */
  force?: boolean;
}

/**
 * Operator-typed attributes → typed values, for every -modify and -add.
 * Unknown: NOT_FOUND (4). Read-only (reported by the engine, or set once at
 * creation): INVALID (3), like any other value the attribute cannot take.
 */
export function typedAttributes(decls: AttributeDeclaration[], raw: Record<string, unknown>, what: string, options: TypedOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    // Any case, or an MCCS alias; stored under the declared name.
    const decl = findDeclaration(decls, key);
    if (!decl) throw new MccsError('NOT_FOUND', `${what} has no attribute '${key}'`, [`known attributes: ${decls.filter((d) => d.editable).map((d) => d.name).join(', ')}`]);
    if (!decl.editable && !(options.creating && decl.stored) && !(options.force && decl.forceEditable)) {
      const actions = decl.forceEditable ? [decl.forceEditable, 'retry with --force'] : decl.stored ? ['delete and add it again to change it'] : [];
      throw new MccsError('INVALID', `attribute '${decl.name}' of ${what} is read-only${decl.stored ? ' (set when it is created)' : ' (reported by the engine)'}`, actions);
    }
    out[decl.name] = typedValue(decl, value);
  }
  return out;
}
