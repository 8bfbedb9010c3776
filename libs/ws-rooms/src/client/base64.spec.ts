import { decodeBase64, encodeBase64 } from './base64';

describe('base64', () => {
  it('matches Node for every length remainder and every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let length = 0; length <= 10; length++) {
      const bytes = all.subarray(250 - length, 250);
      const expected = Buffer.from(bytes).toString('base64');
      expect(encodeBase64(bytes)).toBe(expected);
      expect(decodeBase64(expected)).toEqual(new Uint8Array(bytes));
    }
    expect(encodeBase64(all)).toBe(Buffer.from(all).toString('base64'));
    expect(decodeBase64(Buffer.from(all).toString('base64'))).toEqual(all);
  });

  it('decodes without padding, as Node does', () => {
    expect(decodeBase64('AAE')).toEqual(Uint8Array.of(0, 1));
    expect(decodeBase64('')).toEqual(new Uint8Array(0));
  });

  it('refuses what is not base64 instead of throwing', () => {
    expect(decodeBase64('A')).toBeUndefined();
    expect(decodeBase64('AA*A')).toBeUndefined();
    expect(decodeBase64('AAé=')).toBeUndefined();
    expect(decodeBase64('AA-_')).toBeUndefined();
  });
});
