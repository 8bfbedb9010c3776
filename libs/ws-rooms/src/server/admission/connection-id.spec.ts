import { generateConnectionId, isDefaultConnectionId } from './connection-id';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('generateConnectionId', () => {
  const ids = Array.from({ length: 10_000 }, () => generateConnectionId());

  it('is 22 characters of [A-Za-z0-9_-], a shape isDefaultConnectionId recognises', () => {
    expect(ids.filter((id) => !/^[A-Za-z0-9_-]{22}$/.test(id))).toEqual([]);
    expect(ids.every(isDefaultConnectionId)).toBe(true);
  });

  it('never repeats over 10 000 ids', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('spreads the first 21 characters evenly over the 64 (chi-square over 210 000 characters)', () => {
    const counts = new Map<string, number>([...ALPHABET].map((c) => [c, 0]));
    for (const id of ids) for (const c of id.slice(0, 21)) counts.set(c, counts.get(c)! + 1);
    const total = ids.length * 21;
    const expected = total / ALPHABET.length;
    let chiSquare = 0;
    for (const count of counts.values()) chiSquare += (count - expected) ** 2 / expected;
    // 63 degrees of freedom: the mean is 63 and P(chi-square > 130) is about 1e-6.
    expect(chiSquare).toBeLessThan(130);
  });
});

describe('isDefaultConnectionId', () => {
  it('accepts exactly 22 characters of the base64url alphabet', () => {
    expect(isDefaultConnectionId('abcdefghijklmnopqrstuv')).toBe(true);
    expect(isDefaultConnectionId('ABC_-0123456789xyzXYZa')).toBe(true);
  });

  it('refuses other lengths and characters, so ordinary room names are never ids', () => {
    for (const name of [
      'room1',
      'abcdefghijklmnopqrstu',
      'abcdefghijklmnopqrstuvw',
      'abcdefghijklmnopqrstu!',
      'abcdefghijklmnopqrstu ',
      '',
    ]) {
      expect(isDefaultConnectionId(name)).toBe(false);
    }
  });
});
