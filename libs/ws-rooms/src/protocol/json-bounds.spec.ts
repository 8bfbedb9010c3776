import {
  DEFAULT_MAX_JSON_STRING_LENGTH,
  DEFAULT_MAX_JSON_VALUES,
  exceededJsonBound,
  type JsonBounds,
} from './json-bounds';

const UNBOUNDED: JsonBounds = {
  maxDepth: Number.POSITIVE_INFINITY,
  maxValues: Number.POSITIVE_INFINITY,
  maxStringLength: Number.POSITIVE_INFINITY,
};

const depthOnly = (maxDepth: number): JsonBounds => ({ ...UNBOUNDED, maxDepth });
const valuesOnly = (maxValues: number): JsonBounds => ({ ...UNBOUNDED, maxValues });
const stringsOnly = (maxStringLength: number): JsonBounds => ({ ...UNBOUNDED, maxStringLength });

/**
 * The number of values `JSON.parse` builds, counted on the parsed graph the way the scan counts them
 * on the text: every array, object, key and scalar.
 */
function valuesIn(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce((sum: number, item) => sum + valuesIn(item), 0);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).reduce((sum, [, item]) => sum + 1 + valuesIn(item), 1);
  }
  return 1;
}

/** The smallest maxValues `text` passes: one more refuses it. */
function countedValues(text: string): number {
  let low = 0;
  while (exceededJsonBound(text, valuesOnly(low)) === 'values') low++;
  return low;
}

describe('exceededJsonBound', () => {
  describe('depth', () => {
    it('counts nesting of arrays and objects', () => {
      expect(exceededJsonBound('[[1]]', depthOnly(2))).toBeUndefined();
      expect(exceededJsonBound('[[[1]]]', depthOnly(2))).toBe('depth');
      expect(exceededJsonBound('{"a":{"b":{}}}', depthOnly(3))).toBeUndefined();
      expect(exceededJsonBound('{"a":{"b":{"c":[]}}}', depthOnly(3))).toBe('depth');
    });

    it('measures the deepest point, not the total number of brackets', () => {
      expect(exceededJsonBound('[[1],[2],[3],[4]]', depthOnly(2))).toBeUndefined();
    });

    it('ignores brackets inside strings, escaped quotes included', () => {
      expect(exceededJsonBound('["[[[[[[", "{{{{"]', depthOnly(1))).toBeUndefined();
      expect(exceededJsonBound('["\\"[[[[", 1]', depthOnly(1))).toBeUndefined();
      expect(exceededJsonBound('["\\\\", [[1]]]', depthOnly(2))).toBe('depth');
    });

    it('lets scalars through a depth of 0 and stops a hostile depth early', () => {
      expect(exceededJsonBound('42', depthOnly(0))).toBeUndefined();
      expect(exceededJsonBound('"text"', depthOnly(0))).toBeUndefined();
      expect(exceededJsonBound('[]', depthOnly(0))).toBe('depth');
      expect(exceededJsonBound('['.repeat(100_000), depthOnly(32))).toBe('depth');
    });
  });

  describe('values', () => {
    it.each([
      ['a scalar', '42', 1],
      ['true, false and null', '[true,false,null]', 4],
      ['an empty array and object', '[[],{}]', 3],
      ['an object counts itself, each key and each value', '{"a":1,"b":[2,3]}', 7],
      ['strings', '["x","y z","[1,2]"]', 4],
      ['numbers with signs, fractions and exponents', '[-1.5e+3, 2E-7 ,0]', 4],
      ['whitespace of every kind between values', ' [ 1 ,\t2 ,\n3 ,\r4 ] ', 5],
    ])('counts %s', (_name, text, expected) => {
      expect(countedValues(text)).toBe(expected);
      expect(valuesIn(JSON.parse(text))).toBe(expected);
    });

    it('agrees with the parsed graph on generated JSON', () => {
      const samples: unknown[] = [
        {
          users: [
            { id: 1, name: 'Ann', tags: ['a', 'b'] },
            { id: 2, name: 'Bo', tags: [] },
          ],
        },
        [[[]], [{}], { '': null }, 'a\\"b', -0.5],
        { nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] } } },
      ];
      for (const sample of samples) {
        for (const text of [JSON.stringify(sample), JSON.stringify(sample, null, 2)]) {
          expect(countedValues(text)).toBe(valuesIn(JSON.parse(text)));
        }
      }
    });

    it('refuses one value more than the bound, at the bound exactly it passes', () => {
      const text = `[${'1,'.repeat(99)}1]`;
      expect(exceededJsonBound(text, valuesOnly(101))).toBeUndefined();
      expect(exceededJsonBound(text, valuesOnly(100))).toBe('values');
    });

    it('by default passes the densest valid JSON that fits in 64 KiB', () => {
      // `[1,1,...,1]` packs one value in two bytes: 32,767 elements and the array in 65,535 bytes.
      const densest = `[${'1,'.repeat(32_766)}1]`;
      expect(densest.length).toBeLessThanOrEqual(64 * 1024);
      const defaults = { ...UNBOUNDED, maxValues: DEFAULT_MAX_JSON_VALUES };
      expect(exceededJsonBound(densest, defaults)).toBeUndefined();
      expect(exceededJsonBound(`[${'1,'.repeat(32_767)}1]`, defaults)).toBe('values');
      const members = `{${'"":0,'.repeat(13_106)}"":0}`;
      expect(members.length).toBeLessThanOrEqual(64 * 1024);
      expect(exceededJsonBound(members, defaults)).toBeUndefined();
    });
  });

  describe('string length', () => {
    it('measures keys and values in parsed UTF-16 code units', () => {
      expect(exceededJsonBound('["abcd"]', stringsOnly(4))).toBeUndefined();
      expect(exceededJsonBound('["abcde"]', stringsOnly(4))).toBe('string-length');
      expect(exceededJsonBound('{"abcde":1}', stringsOnly(4))).toBe('string-length');
      // An emoji is two code units, as `'😀'.length` is.
      expect(exceededJsonBound('"😀😀"', stringsOnly(4))).toBeUndefined();
      expect(exceededJsonBound('"😀😀😀"', stringsOnly(5))).toBe('string-length');
    });

    it('counts an escape as the one unit it parses to', () => {
      const text = '"\\n\\"\\\\\\u0041\\uD83D\\uDE00"';
      expect((JSON.parse(text) as string).length).toBe(6);
      expect(exceededJsonBound(text, stringsOnly(6))).toBeUndefined();
      expect(exceededJsonBound(text, stringsOnly(5))).toBe('string-length');
    });

    it('does not let a broken \\u escape swallow the closing quote', () => {
      // `\u"` is invalid JSON; the scan must still see the quote and the nesting after it.
      expect(exceededJsonBound('["\\u", [[1]]]', depthOnly(2))).toBe('depth');
    });

    it('by default passes the longest string a 64 KiB text can hold', () => {
      const text = JSON.stringify('x'.repeat(64 * 1024 - 2));
      const defaults = { ...UNBOUNDED, maxStringLength: DEFAULT_MAX_JSON_STRING_LENGTH };
      expect(exceededJsonBound(text, defaults)).toBeUndefined();
    });
  });

  it('reports the first bound reached, scanning left to right', () => {
    const bounds: JsonBounds = { maxDepth: 2, maxValues: 3, maxStringLength: 2 };
    expect(exceededJsonBound('["abc",[[1]]]', bounds)).toBe('string-length');
    expect(exceededJsonBound('[[[1]]]', bounds)).toBe('depth');
    expect(exceededJsonBound('[1,2,3]', bounds)).toBe('values');
  });
});
