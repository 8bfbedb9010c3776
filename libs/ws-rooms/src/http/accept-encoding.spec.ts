import {
  chooseContentCoding,
  type ContentCoding,
  MAX_ACCEPT_ENCODING_LENGTH,
} from './accept-encoding';

describe('chooseContentCoding', () => {
  it.each<[string | undefined, ContentCoding]>([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip, deflate', 'gzip'],
    ['deflate', 'identity'],
    ['identity', 'identity'],
    ['x-gzip', 'gzip'],
    ['GZIP;Q=0.5', 'gzip'],
    ['  br  ;  q = 0.5  , gzip ; q=0.4', 'br'],
  ])('%p gets %p', (header, coding) => {
    expect(chooseContentCoding(header)).toBe(coding);
  });

  it.each<[string, ContentCoding]>([
    ['br;q=0.5, gzip', 'gzip'],
    ['gzip;q=0.8, br;q=0.9', 'br'],
    ['gzip;q=0.001, br;q=0', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['gzip;q=0.5, identity', 'identity'],
    ['gzip;q=0.5, identity;q=0.5', 'gzip'],
    ['gzip;q=0.5', 'gzip'],
    ['br;q=1.000, gzip', 'br'],
    ['br;q=1., gzip;q=0.', 'br'],
  ])('honours weights: %p gets %p', (header, coding) => {
    expect(chooseContentCoding(header)).toBe(coding);
  });

  it.each<[string, ContentCoding]>([
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['*;q=0, gzip', 'gzip'],
    ['br;q=0, *', 'gzip'],
    ['identity;q=0, *;q=0', 'identity'],
    ['*;q=0.3, identity;q=0.5', 'identity'],
  ])('reads * as every coding not named: %p gets %p', (header, coding) => {
    expect(chooseContentCoding(header)).toBe(coding);
  });

  it.each<[string, ContentCoding]>([
    ['br;q=2, gzip', 'gzip'],
    ['br;q=1.001, gzip', 'gzip'],
    ['br;q=0.1234, gzip', 'gzip'],
    ['br;q=abc, gzip', 'gzip'],
    ['br;q=, gzip', 'gzip'],
    ['br;q=-0, gzip', 'gzip'],
    ['br;level=9, gzip;q=0.5', 'br'],
    [',,;;, ,br', 'br'],
  ])('ignores a malformed element, and parameters other than q: %p gets %p', (header, coding) => {
    expect(chooseContentCoding(header)).toBe(coding);
  });

  it('counts the first mention of a coding', () => {
    expect(chooseContentCoding('br;q=0, br, gzip;q=0.5')).toBe('gzip');
    expect(chooseContentCoding('gzip, x-gzip;q=0, br;q=0.5')).toBe('gzip');
  });

  it('reads repeated headers as one list', () => {
    expect(chooseContentCoding(['gzip', 'br;q=0.1'])).toBe('gzip');
    expect(chooseContentCoding(['br;q=0', 'gzip;q=0'])).toBe('identity');
  });

  it('reads a value up to MAX_ACCEPT_ENCODING_LENGTH characters and answers identity beyond', () => {
    const longest = `${' '.repeat(MAX_ACCEPT_ENCODING_LENGTH - 3)} br`;
    expect(longest).toHaveLength(MAX_ACCEPT_ENCODING_LENGTH);
    expect(chooseContentCoding(longest)).toBe('br');
    expect(chooseContentCoding(` ${longest}`)).toBe('identity');
    expect(chooseContentCoding(['gzip', ' '.repeat(MAX_ACCEPT_ENCODING_LENGTH)])).toBe('identity');
  });

  it('answers a hostile value at once: a megabyte is not read, the longest readable one is cheap', () => {
    const started = process.hrtime.bigint();
    expect(chooseContentCoding('br;q=0.5,'.repeat(120_000))).toBe('identity');
    for (let i = 0; i < 1000; i++) {
      chooseContentCoding(';'.repeat(MAX_ACCEPT_ENCODING_LENGTH));
      chooseContentCoding(',br;q=1'.repeat(MAX_ACCEPT_ENCODING_LENGTH / 7));
    }
    // 2000 worst cases: a quadratic parse would take seconds; a linear one takes milliseconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });
});
