import {
  INVALID_PAYLOAD,
  isDecimalText,
  isIntegerText,
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

/** Milliseconds `action` takes (one run). */
function timed(action: () => unknown): number {
  const start = performance.now();
  action();
  return performance.now() - start;
}

/** Every string of up to `maxLength` characters drawn from `alphabet`, shortest first. */
function* allStrings(alphabet: readonly string[], maxLength: number): Generator<string> {
  let layer = [''];
  yield '';
  for (let length = 1; length <= maxLength; length++) {
    const next: string[] = [];
    for (const head of layer) for (const char of alphabet) next.push(head + char);
    yield* next;
    layer = next;
  }
}

describe('isIntegerText and isDecimalText (hand scans)', () => {
  it.each(['0', '007', '+5', '-12', '9007199254740993'])('%j is integer text', (text) => {
    expect(isIntegerText(text)).toBe(true);
  });

  it.each(['', '+', '-', '1.', '.1', '1e3', ' 1', '1 ', '1x', '+-1', '١'])(
    '%j is not integer text',
    (text) => {
      expect(isIntegerText(text)).toBe(false);
    },
  );

  it.each(['1', '-1', '3.5', '3.', '.5', '+.5', '1e3', '1E+3', '-1.5e-7', '007.100', '.5e1'])(
    '%j is decimal text',
    (text) => {
      expect(isDecimalText(text)).toBe(true);
    },
  );

  it.each(['', '.', '+', '-.', 'e3', '.e3', '1e', '1e+', '1.2.3', '1e3.5', ' 1', '1 ', 'Infinity'])(
    '%j is not decimal text',
    (text) => {
      expect(isDecimalText(text)).toBe(false);
    },
  );

  it('agree with the regular expressions they replace on every short string of number characters', () => {
    // The former patterns, kept here only as the reference on inputs too short to be slow.
    const formerDecimal = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
    const formerInteger = /^[+-]?\d+$/;
    let checked = 0;
    for (const text of allStrings(['1', '0', '.', 'e', 'E', '+', '-', 'x', ' '], 5)) {
      if (isDecimalText(text) !== formerDecimal.test(text)) throw new Error(`decimal ${text}`);
      if (isIntegerText(text) !== formerInteger.test(text)) throw new Error(`integer ${text}`);
      checked++;
    }
    expect(checked).toBe(66_430);
  });

  it('read 65,000 digits followed by a letter in linear time (the former pattern took seconds)', () => {
    const hostile = '1'.repeat(65_000) + 'x';
    expect(timed(() => expect(parseIntegerText(hostile)).toBe(INVALID_PAYLOAD))).toBeLessThan(100);
    const fraction = '1.' + '1'.repeat(65_000) + 'x';
    expect(timed(() => expect(isDecimalText(fraction)).toBe(false))).toBeLessThan(100);
    const exponent = '1e' + '1'.repeat(65_000) + '.';
    expect(timed(() => expect(isDecimalText(exponent)).toBe(false))).toBeLessThan(100);
  });
});
