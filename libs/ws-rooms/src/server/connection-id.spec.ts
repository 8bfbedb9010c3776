import { generateConnectionId } from './connection-id';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('generateConnectionId', () => {
  const ids = Array.from({ length: 10_000 }, () => generateConnectionId());

  it('is 64 characters long', () => {
    expect(ids.every((id) => id.length === 64)).toBe(true);
  });

  it('uses only the letters A-Z and a-z', () => {
    expect(ids.filter((id) => !/^[A-Za-z]{64}$/.test(id))).toEqual([]);
  });

  it('never repeats over 10 000 ids', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every letter about equally often (chi-square over 640 000 letters)', () => {
    const counts = new Map<string, number>([...LETTERS].map((letter) => [letter, 0]));
    for (const id of ids) for (const letter of id) counts.set(letter, counts.get(letter)! + 1);
    const total = ids.length * 64;
    const expected = total / LETTERS.length;
    let chiSquare = 0;
    for (const count of counts.values()) chiSquare += (count - expected) ** 2 / expected;
    // 51 degrees of freedom: the mean is 51 and P(chi-square > 110) is about 3e-6. A plain
    // `byte % 52`, which favours the first 48 letters, scores well above 1000 here.
    expect(chiSquare).toBeLessThan(110);
    for (const count of counts.values()) {
      expect(Math.abs(count - expected) / expected).toBeLessThan(0.05);
    }
  });
});
