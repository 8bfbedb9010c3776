import 'reflect-metadata';
import {
  Allow,
  ArrayNotEmpty,
  ArrayUnique,
  Equals,
  IsDefined,
  IsEnum,
  IsHexadecimal,
  IsInt,
  IsNotEmpty,
  IsNotIn,
  IsOptional,
  IsPositive,
  IsString,
  Max,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { of } from 'rxjs';
import { loadValidationRules } from './class-validator-metadata';
import { BYTES_SCHEMA, isDescribableType, SchemaRegistry } from './schema-registry';

enum Color {
  Red,
  Green,
}

enum Mood {
  Happy = 'happy',
  Sad = 'sad',
}

class Tree {
  @IsString()
  @IsNotEmpty()
  name!: string;

  @IsOptional()
  @ValidateNested()
  parent?: Tree;

  @ValidateNested({ each: true })
  children!: Tree[];
}

class Rules {
  @IsEnum(Color)
  color!: Color;

  @IsEnum(Mood)
  mood!: Mood;

  @IsNotIn(['root'])
  @IsString()
  user!: string;

  @Equals(3)
  three!: number;

  @IsInt()
  @IsPositive()
  @Max(10)
  count!: number;

  @ArrayNotEmpty()
  @ArrayUnique()
  list!: number[];

  @IsHexadecimal()
  hex!: string;

  @ValidateIf((value: Rules) => value.count > 1)
  @IsString()
  when?: string;

  @IsDefined()
  @IsOptional()
  always!: unknown;

  @Allow()
  free?: Date;

  @ValidateNested()
  @IsOptional()
  @Max(3)
  bounded?: Tree;
}

// tsc writes `design:type` Tree for Tree's own property; SWC (these tests) writes Object, since the
// class is not defined yet when its property decorators run. Written here as tsc does.
Reflect.defineMetadata('design:type', Tree, Tree.prototype, 'parent');

function registry(): SchemaRegistry {
  return new SchemaRegistry(loadValidationRules());
}

describe('SchemaRegistry', () => {
  it('describes built-in types without components', () => {
    const schemas = registry();
    expect(schemas.schemaOf(String)).toEqual({ type: 'string' });
    expect(schemas.schemaOf(Number)).toEqual({ type: 'number' });
    expect(schemas.schemaOf(Boolean)).toEqual({ type: 'boolean' });
    expect(schemas.schemaOf(Buffer)).toEqual(BYTES_SCHEMA);
    expect(schemas.schemaOf(Uint8Array)).toEqual(BYTES_SCHEMA);
    expect(schemas.schemaOf(Date)).toEqual({ type: 'string', format: 'date-time' });
    expect(schemas.schemaOf(Object)).toEqual({});
    expect(schemas.schemaOf(undefined)).toEqual({});
    expect(schemas.schemaOf(Promise)).toEqual({});
    expect(schemas.schemaOf({ type: 'integer', minimum: 2 })).toEqual({
      type: 'integer',
      minimum: 2,
    });
    expect(schemas.components).toEqual({});
  });

  it('maps class-validator rules: enums, exclusions, constants, bounds, required', () => {
    const schemas = registry();
    expect(schemas.schemaOf(Rules)).toEqual({ $ref: '#/components/schemas/Rules' });
    const rules = schemas.components.Rules;
    expect(rules.properties).toEqual({
      color: { enum: [0, 1] },
      mood: { enum: ['happy', 'sad'] },
      user: { not: { enum: ['root'] }, type: 'string' },
      three: { const: 3 },
      count: { type: 'integer', exclusiveMinimum: 0, maximum: 10 },
      list: { minItems: 1, uniqueItems: true, type: 'array' },
      hex: { type: 'string', 'x-class-validator': ['isHexadecimal'] },
      when: { type: 'string' },
      always: {},
      free: { type: 'string', format: 'date-time' },
      bounded: { allOf: [{ $ref: '#/components/schemas/Tree' }], maximum: 3 },
    });
    expect(rules.required).toEqual([
      'color',
      'mood',
      'user',
      'three',
      'count',
      'list',
      'hex',
      'always',
    ]);
  });

  it('describes nested and recursive DTOs once, by reference', () => {
    const schemas = registry();
    schemas.schemaOf(Tree);
    schemas.schemaOf(Tree);
    expect(Object.keys(schemas.components)).toEqual(['Tree']);
    expect(schemas.components.Tree).toEqual({
      type: 'object',
      title: 'Tree',
      properties: {
        name: { type: 'string', minLength: 1 },
        parent: { $ref: '#/components/schemas/Tree' },
        children: { type: 'array', items: {} },
      },
      required: ['name', 'children'],
    });
  });

  it('gives two classes of one name two components, and keeps fixed names', () => {
    const schemas = registry();
    schemas.define('Dto', { type: 'string' });
    const first = (() => {
      class Dto {
        @IsString()
        a!: string;
      }
      return Dto;
    })();
    const second = (() => {
      class Dto {
        @IsInt()
        b!: number;
      }
      return Dto;
    })();
    expect(schemas.schemaOf(first)).toEqual({ $ref: '#/components/schemas/Dto_2' });
    expect(schemas.schemaOf(second)).toEqual({ $ref: '#/components/schemas/Dto_3' });
    expect(schemas.components.Dto).toEqual({ type: 'string' });
  });

  it('without class-validator, names a DTO and says its properties are unknown', () => {
    const schemas = new SchemaRegistry(undefined);
    schemas.schemaOf(Tree);
    expect(schemas.components.Tree).toEqual({
      type: 'object',
      title: 'Tree',
      description: expect.stringContaining('class-validator is not installed'),
    });
  });
});

describe('isDescribableType', () => {
  it('is false for what carries no known value', () => {
    expect(isDescribableType(undefined)).toBe(false);
    expect(isDescribableType(Object)).toBe(false);
    expect(isDescribableType(Function)).toBe(false);
    expect(isDescribableType(Promise)).toBe(false);
    expect(isDescribableType(of(1).constructor)).toBe(false);
  });

  it('is true for values and DTO classes', () => {
    for (const type of [String, Number, Boolean, Buffer, Array, Date, Tree]) {
      expect(isDescribableType(type)).toBe(true);
    }
  });
});

describe('loadValidationRules', () => {
  it('is undefined when class-validator cannot be loaded or has no metadata storage', () => {
    expect(
      loadValidationRules(() => {
        throw new Error('Cannot find module');
      }),
    ).toBeUndefined();
    expect(loadValidationRules(() => ({}))).toBeUndefined();
    expect(loadValidationRules(() => ({ getMetadataStorage: () => ({}) }))).toBeUndefined();
  });

  it("reads the installed class-validator's rules, inherited ones included", () => {
    class Child extends Tree {
      @IsInt()
      age!: number;
    }
    const rules = loadValidationRules()!(Child);
    expect(new Set(rules.map((rule) => rule.propertyName))).toEqual(
      new Set(['age', 'name', 'parent', 'children']),
    );
  });
});
