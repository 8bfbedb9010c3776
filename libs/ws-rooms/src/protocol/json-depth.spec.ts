import { jsonDepthExceeds } from './json-depth';

describe('jsonDepthExceeds', () => {
  it('counts nesting of arrays and objects', () => {
    expect(jsonDepthExceeds('[[1]]', 2)).toBe(false);
    expect(jsonDepthExceeds('[[[1]]]', 2)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":{}}}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":{"c":[]}}}', 3)).toBe(true);
  });

  it('measures the deepest point, not the total number of brackets', () => {
    expect(jsonDepthExceeds('[[1],[2],[3],[4]]', 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds('["[[[[[[", "{{{{"]', 1)).toBe(false);
    expect(jsonDepthExceeds('["\\"[[[[", 1]', 1)).toBe(false);
    expect(jsonDepthExceeds('["\\\\", [[1]]]', 2)).toBe(true);
  });

  it('handles scalars and a hostile depth in one linear pass', () => {
    expect(jsonDepthExceeds('42', 0)).toBe(false);
    expect(jsonDepthExceeds('"text"', 0)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(100_000), 32)).toBe(true);
  });
});
