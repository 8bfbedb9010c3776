import type { AsyncApiSchema } from './asyncapi-document.types';
import type { ValidationRule, ValidationRulesOf } from './class-validator-metadata';
import { schemaOfRules } from './validation-rule-schema';

type AnyClass = abstract new (...args: never[]) => unknown;
type MutableSchema = { -readonly [K in keyof AsyncApiSchema]: AsyncApiSchema[K] };

/** The schema of bytes (`Buffer`, `Uint8Array`): they travel as they are, with type digit 3. */
export const BYTES_SCHEMA: AsyncApiSchema = Object.freeze({
  type: 'string',
  format: 'binary',
  contentMediaType: 'application/octet-stream',
});

/** Classes that are values of the language, never DTOs. */
const BUILT_IN: ReadonlyMap<unknown, AsyncApiSchema> = new Map<unknown, AsyncApiSchema>([
  [String, { type: 'string' }],
  [Number, { type: 'number' }],
  [Boolean, { type: 'boolean' }],
  [Buffer, BYTES_SCHEMA],
  [Uint8Array, BYTES_SCHEMA],
  [Array, { type: 'array' }],
  [Date, { type: 'string', format: 'date-time' }],
  [Object, {}],
]);

/**
 * True for a type the document can describe a value by: a primitive's class, bytes, `Array`,
 * `Date` or a DTO class; false for `undefined` (no declaration, `void`), `Object` (an interface, a
 * union, `any`), and for promises, observables and functions, whose value is not known.
 */
export function isDescribableType(type: unknown): boolean {
  if (typeof type !== 'function' || type === Object || type === Function) return false;
  if (BUILT_IN.has(type)) return true;
  const prototype = (type as { prototype?: unknown }).prototype;
  if (typeof prototype !== 'object' || prototype === null) return false;
  const members = prototype as Record<string, unknown>;
  // Promise, and anything thenable or subscribable (rxjs' Observable), by shape.
  return typeof members.then !== 'function' && typeof members.subscribe !== 'function';
}

/**
 * Builds JSON schemas from declared types and keeps the DTO classes' schemas, which the document
 * lists under `components.schemas` and refers to by `$ref`. A DTO is described from its
 * class-validator rules (properties, types, bounds, `required`), with the design type of a property
 * no type rule describes; a class without rules is an object with its name for a title.
 */
export class SchemaRegistry {
  private readonly names = new Map<unknown, string>();
  private readonly schemas = new Map<string, AsyncApiSchema>();

  /** @param rulesOf class-validator's rules, or undefined without class-validator */
  constructor(private readonly rulesOf: ValidationRulesOf | undefined) {}

  /** The DTO schemas built so far, by component name. */
  get components(): Readonly<Record<string, AsyncApiSchema>> {
    return Object.fromEntries(this.schemas);
  }

  /** Adds a schema of ws-rooms' own under a fixed name (before any DTO can take that name). */
  define(name: string, schema: AsyncApiSchema): void {
    this.schemas.set(name, schema);
  }

  /**
   * The schema of a declared type: a built-in class, a DTO class (a `$ref` to its component), or a
   * JSON schema given as it is. `{}` (any value) for what is not describable.
   */
  schemaOf(declared: unknown): AsyncApiSchema {
    if (declared === undefined || declared === null) return {};
    if (typeof declared === 'object') return { ...(declared as AsyncApiSchema) };
    const builtIn = BUILT_IN.get(declared);
    if (builtIn !== undefined) return { ...builtIn };
    if (!isDescribableType(declared)) return {};
    return { $ref: `#/components/schemas/${this.register(declared as AnyClass)}` };
  }

  /** The component name of a DTO class, its schema built on first use (cycles are fine). */
  private register(type: AnyClass): string {
    const known = this.names.get(type);
    if (known !== undefined) return known;
    const name = this.freeName(type.name);
    this.names.set(type, name);
    this.schemas.set(name, {}); // holds the name while the properties are described
    this.schemas.set(name, this.describeClass(type));
    return name;
  }

  private freeName(className: string): string {
    const base = className.replace(/[^\w.-]/g, '_') || 'Anonymous';
    let name = base;
    for (let n = 2; this.schemas.has(name); n++) name = `${base}_${n}`;
    return name;
  }

  private describeClass(type: AnyClass): AsyncApiSchema {
    const rules = this.rulesOf?.(type) ?? [];
    const byProperty = new Map<string, ValidationRule[]>();
    for (const rule of rules) {
      const list = byProperty.get(rule.propertyName) ?? [];
      list.push(rule);
      byProperty.set(rule.propertyName, list);
    }
    const properties: Record<string, AsyncApiSchema> = {};
    const required: string[] = [];
    for (const [property, propertyRules] of byProperty) {
      const designType = Reflect.getMetadata('design:type', type.prototype as object, property);
      properties[property] = this.propertySchema(propertyRules, designType);
      if (isRequired(propertyRules)) required.push(property);
    }
    const schema: MutableSchema = { type: 'object', title: type.name || undefined };
    if (byProperty.size === 0) {
      schema.description =
        this.rulesOf === undefined
          ? 'A class; its properties are not known (class-validator is not installed)'
          : 'A class without class-validator rules; its properties are not known';
      return schema;
    }
    schema.properties = properties;
    if (required.length > 0) schema.required = required;
    return schema;
  }

  /** One property: its own rules, its items' (`each`) rules, else its design type. */
  private propertySchema(rules: readonly ValidationRule[], designType: unknown): AsyncApiSchema {
    const own = schemaOfRules(rules.filter((rule) => rule.each !== true));
    const itemRules = rules.filter((rule) => rule.each === true);
    const nested = rules.some((rule) => rule.type === 'nestedValidation');
    const schema: MutableSchema = { ...own.schema };
    const unmapped = [...own.unmapped];
    if (itemRules.length > 0) {
      const items = schemaOfRules(itemRules);
      schema.type = 'array';
      schema.items = items.schema;
      unmapped.push(...items.unmapped.map((name) => `${name} (each)`));
    } else if (!own.typed) {
      const fromDesign =
        nested && designType === Array ? { type: 'array', items: { type: 'object' } } : undefined;
      Object.assign(schema, fromDesign ?? this.schemaOf(designType));
    } else if (nested && schema.type === 'array' && schema.items === undefined) {
      schema.items = { type: 'object' };
    }
    if (unmapped.length > 0) schema['x-class-validator'] = unmapped;
    // A `$ref` beside other keywords is ignored by JSON Schema draft 07: keep it alone, bounds in allOf.
    if (schema.$ref !== undefined && Object.keys(schema).length > 1) {
      const { $ref, ...rest } = schema;
      return { allOf: [{ $ref }], ...rest };
    }
    return schema;
  }
}

/**
 * class-validator checks a decorated property whatever its value, `undefined` included, unless
 * `@IsOptional()` or `@ValidateIf()` (conditional rules) says otherwise; `@IsDefined()` always wins.
 */
function isRequired(rules: readonly ValidationRule[]): boolean {
  if (rules.some((rule) => rule.type === 'isDefined')) return true;
  if (rules.some((rule) => rule.type === 'conditionalValidation')) return false;
  return rules.some((rule) => rule.type !== 'whitelistValidation');
}
