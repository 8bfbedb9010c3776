/**
 * What class-validator knows about a DTO class, read through its public `getMetadataStorage()`.
 * class-validator is optional: an application without it gets DTO schemas from the properties'
 * design types alone. The shapes are written out here so that ws-rooms' declarations never name
 * class-validator's types.
 */

/** One class-validator rule on one property (class-validator's `ValidationMetadata`, in part). */
export interface ValidationRule {
  /** `customValidation`, `nestedValidation`, `conditionalValidation`, `isDefined`, ... */
  readonly type: string;
  /** The rule's name for `customValidation`: `isString`, `min`, `isIn`, ... */
  readonly name?: string;
  readonly propertyName: string;
  readonly constraints?: readonly unknown[];
  /** The rule applies to each item of an array (or set, or map) value. */
  readonly each?: boolean;
}

/** Reads the rules of a class, inherited ones included; an empty list when there are none. */
export type ValidationRulesOf = (
  type: abstract new (...args: never[]) => unknown,
) => readonly ValidationRule[];

/** class-validator's metadata storage, in the part read here. */
interface MetadataStorageLike {
  getTargetValidationMetadatas(
    target: object,
    targetSchema: string,
    always: boolean,
    strictGroups: boolean,
  ): readonly ValidationRule[];
}

/**
 * The rules reader of the installed class-validator, or undefined when it is not installed or has
 * no `getMetadataStorage()`. Loaded once, on the first document; never when ws-rooms itself loads.
 */
export function loadValidationRules(
  load: () => unknown = () =>
    // A lazy require on purpose: class-validator is an optional package of the application.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('class-validator'),
): ValidationRulesOf | undefined {
  let loaded: unknown;
  try {
    loaded = load();
  } catch {
    return undefined;
  }
  const getMetadataStorage = (loaded as { getMetadataStorage?: unknown } | null)
    ?.getMetadataStorage;
  if (typeof getMetadataStorage !== 'function') return undefined;
  const storage = (getMetadataStorage as () => unknown)() as Partial<MetadataStorageLike> | null;
  if (typeof storage?.getTargetValidationMetadatas !== 'function') return undefined;
  const read = storage.getTargetValidationMetadatas.bind(storage);
  // The rules of validation without groups: what a plain `ValidationPipe` applies.
  return (type) => read(type, '', false, false).filter(isRule);
}

function isRule(rule: unknown): rule is ValidationRule {
  const candidate = rule as Partial<ValidationRule> | null;
  return typeof candidate?.type === 'string' && typeof candidate.propertyName === 'string';
}
