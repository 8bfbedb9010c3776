import {
  DEFAULT_WIRE_LIMITS,
  isApplicationCloseCode,
  jsonDepthWithin,
  utf8Within,
} from './redis-wire-limits';

const depthOf = (json: string, max: number) => jsonDepthWithin(Buffer.from(json), 0, max);

describe('jsonDepthWithin', () => {
  it('counts nested objects and arrays, up to the limit itself', () => {
    expect(depthOf('1', 0)).toBe(true);
    expect(depthOf('{}', 0)).toBe(false);
    expect(depthOf('{}', 1)).toBe(true);
    expect(depthOf('{"a":[{"b":[]}]}', 4)).toBe(true);
    expect(depthOf('{"a":[{"b":[]}]}', 3)).toBe(false);
    // Siblings do not add up: depth, not count.
    expect(depthOf('[[],[],[],[[]]]', 3)).toBe(true);
    expect(depthOf(`[${'[],'.repeat(1000)}[]]`, 2)).toBe(true);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(depthOf('["[[[[{{{{"]', 1)).toBe(true);
    expect(depthOf('["\\"[[[[", "\\\\"]', 1)).toBe(true);
    expect(depthOf('["\\\\", [[]]]', 2)).toBe(false);
    expect(depthOf('{"k\\"}":{"x":1}}', 2)).toBe(true);
  });

  it('starts where it is told (after a binary header)', () => {
    const data = Buffer.concat([Buffer.from([0x5b, 0x5b, 0x5b]), Buffer.from('[1]')]);
    expect(jsonDepthWithin(data, 3, 1)).toBe(true);
    expect(jsonDepthWithin(data, 0, 1)).toBe(false);
  });

  it('refuses at the first level too deep, whatever follows', () => {
    expect(depthOf(`${'['.repeat(65)}${']'.repeat(65)}`, 64)).toBe(false);
    expect(depthOf(`${'['.repeat(64)}${']'.repeat(64)}`, 64)).toBe(true);
    expect(depthOf('['.repeat(1_000_000), DEFAULT_WIRE_LIMITS.maxJsonDepth)).toBe(false);
  });
});

describe('utf8Within', () => {
  it('measures UTF-8 bytes, not UTF-16 units', () => {
    expect(utf8Within('abc', 3)).toBe(true);
    expect(utf8Within('abcd', 3)).toBe(false);
    expect(utf8Within('é', 2)).toBe(true);
    expect(utf8Within('é', 1)).toBe(false);
    expect(utf8Within('☃', 3)).toBe(true);
    expect(utf8Within('☃☃', 5)).toBe(false);
    expect(utf8Within('😀', 4)).toBe(true); // two UTF-16 units, four bytes
    expect(utf8Within('😀', 3)).toBe(false);
    expect(utf8Within('', 0)).toBe(true);
  });
});

describe('isApplicationCloseCode', () => {
  it.each([1000, 3000, 4000, 4999])('accepts %d', (code) => {
    expect(isApplicationCloseCode(code)).toBe(true);
  });

  it.each([999, 1001, 1006, 2999, 5000, 4000.5, Number.NaN, '4000', null])('refuses %p', (code) => {
    expect(isApplicationCloseCode(code)).toBe(false);
  });
});
