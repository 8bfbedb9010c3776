import {
  INVALID_PAYLOAD,
  parseBooleanText,
  parseIntegerText,
  parseTextPayload,
} from './payload-text';

describe('payload text forms', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('%s is true', (text) => {
    expect(parseBooleanText(text)).toBe(true);
  });

  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('%s is false', (text) => {
    expect(parseBooleanText(text)).toBe(false);
  });

  it.each(['', 'yes', 'tRUE', ' true'])('%j is no boolean', (text) => {
    expect(parseBooleanText(text)).toBeUndefined();
  });

  it('reads integers, the original client’s floats and booleans, and nothing else', () => {
    expect(parseIntegerText('007')).toBe(7);
    expect(parseIntegerText('+5')).toBe(5);
    expect(parseIntegerText('-12')).toBe(-12);
    expect(parseIntegerText('3.5')).toBe(3.5);
    expect(parseIntegerText('true')).toBe(true);
    expect(parseIntegerText('9007199254740993')).toBe(INVALID_PAYLOAD);
    expect(parseIntegerText('1e999')).toBe(INVALID_PAYLOAD);
    expect(parseIntegerText('x1')).toBe(INVALID_PAYLOAD);
  });

  it('dispatches by type digit', () => {
    expect(parseTextPayload(1, '42')).toBe(42);
    expect(parseTextPayload(2, 'F')).toBe(false);
    expect(parseTextPayload(2, 'nope')).toBe(INVALID_PAYLOAD);
    expect(parseTextPayload(4, '{"a":[1]}')).toEqual({ a: [1] });
    expect(parseTextPayload(4, '{')).toBe(INVALID_PAYLOAD);
  });
});
