import { renderUntrustedName, UNTRUSTED_NAME_SHOWN_LENGTH } from './untrusted-name';

describe('renderUntrustedName', () => {
  it('quotes an ordinary name as the former messages did', () => {
    expect(renderUntrustedName('chat')).toBe('"chat"');
    expect(renderUntrustedName('my event ☃')).toBe('"my event ☃"');
  });

  it('escapes quotes, backslashes, control characters and lone surrogates', () => {
    expect(renderUntrustedName('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(renderUntrustedName('line\nbreak\u0000')).toBe('"line\\nbreak\\u0000"');
    expect(renderUntrustedName('\ud800')).toBe('"\\ud800"');
  });

  it('shows at most 64 characters, then an ellipsis', () => {
    expect(UNTRUSTED_NAME_SHOWN_LENGTH).toBe(64);
    const exact = 'x'.repeat(64);
    expect(renderUntrustedName(exact)).toBe(`"${exact}"`);
    expect(renderUntrustedName('x'.repeat(65))).toBe(`"${exact}"…`);
    const rendered = renderUntrustedName('y'.repeat(60_000));
    expect(rendered).toBe(`"${'y'.repeat(64)}"…`);
  });

  it('bounds the rendering even when every character needs an escape', () => {
    expect(renderUntrustedName('\u0001'.repeat(10_000)).length).toBe(64 * 6 + 3);
  });

  it('takes another length, and never splits a surrogate pair', () => {
    expect(renderUntrustedName('abcdef', 3)).toBe('"abc"…');
    expect(renderUntrustedName('ab😀cd', 3)).toBe('"ab"…');
    expect(renderUntrustedName('ab😀cd', 4)).toBe('"ab😀"…');
    expect(renderUntrustedName('abc', 0)).toBe('""…');
  });
});
