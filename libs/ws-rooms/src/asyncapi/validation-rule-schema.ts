import type { AsyncApiJson, AsyncApiSchema } from './asyncapi-document.types';
import type { ValidationRule } from './class-validator-metadata';

type MutableSchema = { -readonly [K in keyof AsyncApiSchema]: AsyncApiSchema[K] };

/** What the rules of one property (or of its items) say, once mapped to JSON Schema. */
export interface MappedRules {
  /** The schema the rules give; `type` is absent when no rule names one. */
  readonly schema: AsyncApiSchema;
  /** A rule that names the value's type or shape was found (`isString`, `isIn`, `equals`...). */
  readonly typed: boolean;
  /** Rules JSON Schema has no word for, by name (listed in `x-class-validator`). */
  readonly unmapped: readonly string[];
}

const TYPES: Readonly<Record<string, AsyncApiSchema>> = {
  isString: { type: 'string' },
  isNumber: { type: 'number' },
  isInt: { type: 'integer' },
  isBoolean: { type: 'boolean' },
  isArray: { type: 'array' },
  isObject: { type: 'object' },
  isNotEmptyObject: { type: 'object' },
  isDate: { type: 'string', format: 'date-time' },
  isDateString: { type: 'string', format: 'date-time' },
  isISO8601: { type: 'string', format: 'date-time' },
  isEmail: { type: 'string', format: 'email' },
  isUrl: { type: 'string', format: 'uri' },
  isUUID: { type: 'string', format: 'uuid' },
  isIP: { type: 'string' },
  isJWT: { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*$' },
  isNumberString: { type: 'string', pattern: '^[-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?$' },
  isBooleanString: { type: 'string', enum: ['true', 'false', '1', '0'] },
  isAlpha: { type: 'string', pattern: '^[A-Za-z]+$' },
  isAlphanumeric: { type: 'string', pattern: '^[A-Za-z0-9]+$' },
  isHexColor: {
    type: 'string',
    pattern: '^#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$',
  },
  isLowercase: { type: 'string' },
  isUppercase: { type: 'string' },
};

/** Rules that only say whether the property must be there; they map to nothing in the schema. */
const PRESENCE_RULES = new Set(['isOptional', 'validateIf', 'isDefined', 'allow', 'isNotEmpty']);

/**
 * Maps class-validator rules (those of one property, or those marked `each` for its items) to a
 * JSON Schema: the type rules to `type` and `format`, the bounds to `minimum`, `maxLength`,
 * `minItems`..., `isIn` / `isEnum` / `equals` to `enum` / `const`, `matches` to `pattern`.
 */
export function schemaOfRules(rules: readonly ValidationRule[]): MappedRules {
  const schema: MutableSchema = {};
  const unmapped: string[] = [];
  let typed = false;
  let notEmpty = false;
  for (const rule of rules) {
    if (rule.type !== 'customValidation' || rule.name === undefined) continue;
    const name = rule.name;
    const constraints = rule.constraints ?? [];
    const type = TYPES[name];
    if (type !== undefined) {
      Object.assign(schema, type);
      typed = true;
      continue;
    }
    if (PRESENCE_RULES.has(name)) {
      if (name === 'isNotEmpty') notEmpty = true;
      continue;
    }
    if (!applyBound(schema, name, constraints)) {
      const values = enumerated(name, constraints);
      if (values === undefined) unmapped.push(name);
      else {
        if (name === 'equals') schema.const = values[0];
        else if (name === 'isNotIn') schema.not = { enum: values };
        else schema.enum = values;
        typed = name !== 'isNotIn';
      }
    }
  }
  if (notEmpty) {
    if (schema.type === 'string') schema.minLength = Math.max(1, schema.minLength ?? 0);
    else if (schema.type === 'array') schema.minItems = Math.max(1, schema.minItems ?? 0);
  }
  return { schema, typed, unmapped };
}

/** Numeric and length bounds; false when `name` is not one. */
function applyBound(schema: MutableSchema, name: string, constraints: readonly unknown[]): boolean {
  const [first, second] = constraints.map((value) =>
    typeof value === 'number' ? value : undefined,
  );
  switch (name) {
    case 'min':
      if (first !== undefined) schema.minimum = first;
      return true;
    case 'max':
      if (first !== undefined) schema.maximum = first;
      return true;
    case 'isPositive':
      schema.exclusiveMinimum = 0;
      return true;
    case 'isNegative':
      schema.exclusiveMaximum = 0;
      return true;
    case 'minLength':
      if (first !== undefined) schema.minLength = first;
      return true;
    case 'maxLength':
      if (first !== undefined) schema.maxLength = first;
      return true;
    case 'isLength':
      if (first !== undefined) schema.minLength = first;
      if (second !== undefined) schema.maxLength = second;
      return true;
    case 'arrayMinSize':
      if (first !== undefined) schema.minItems = first;
      return true;
    case 'arrayMaxSize':
      if (first !== undefined) schema.maxItems = first;
      return true;
    case 'arrayNotEmpty':
      schema.minItems = Math.max(1, schema.minItems ?? 0);
      return true;
    case 'arrayUnique':
      schema.uniqueItems = true;
      return true;
    case 'matches': {
      const pattern = constraints[0];
      if (pattern instanceof RegExp) schema.pattern = pattern.source;
      else if (typeof pattern === 'string') schema.pattern = pattern;
      return true;
    }
    default:
      return false;
  }
}

/** The values of `isIn`, `isNotIn`, `isEnum` and `equals`; undefined for any other rule. */
function enumerated(name: string, constraints: readonly unknown[]): AsyncApiJson[] | undefined {
  const [first] = constraints;
  switch (name) {
    case 'isIn':
    case 'isNotIn':
      return Array.isArray(first) ? first.filter(isJsonScalar) : undefined;
    case 'equals':
      return isJsonScalar(first) ? [first] : undefined;
    case 'isEnum': {
      if (typeof first !== 'object' || first === null) return undefined;
      // A numeric TypeScript enum maps each value back to its key: keep the values only.
      const entries = Object.entries(first as Record<string, unknown>);
      return entries
        .filter(([key, value]) => !(typeof value === 'string' && isNumericKey(key, entries)))
        .map(([, value]) => value)
        .filter(isJsonScalar);
    }
    default:
      return undefined;
  }
}

function isNumericKey(key: string, entries: readonly (readonly [string, unknown])[]): boolean {
  return /^-?\d+(\.\d+)?$/.test(key) && entries.some(([, value]) => value === Number(key));
}

function isJsonScalar(value: unknown): value is string | number | boolean | null {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}
