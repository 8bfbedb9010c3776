import type { IncomingMessage } from 'node:http';
import { isSameOrigin, normalizeOrigin, OriginPolicy } from './origin-policy';

/** An upgrade request with just the headers the origin checks read. */
function request(headers: { origin?: string; host?: string }): IncomingMessage {
  return { headers } as IncomingMessage;
}

describe('normalizeOrigin', () => {
  it.each([
    ['https://example.com', 'https://example.com'],
    ['HTTPS://Example.COM', 'https://example.com'],
    ['https://example.com:443', 'https://example.com'],
    ['http://example.com:80', 'http://example.com'],
    ['ws://example.com:80', 'ws://example.com'],
    ['wss://example.com:443', 'wss://example.com'],
    ['http://example.com:443', 'http://example.com:443'],
    ['https://example.com:80', 'https://example.com:80'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['https://example.com/', 'https://example.com'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['https://sub.Example.com', 'https://sub.example.com'],
  ])('%s is %s', (origin, expected) => {
    expect(normalizeOrigin(origin)).toBe(expected);
  });

  it.each([
    ['a path', 'https://example.com/app'],
    ['a query', 'https://example.com?x=1'],
    ['an empty query after a slash', 'https://example.com/?x'],
    ['a fragment', 'https://example.com#top'],
    ['a user name', 'https://user@example.com'],
    ['a password without a user name', 'https://:secret@example.com'],
    ['the "null" origin of sandboxed frames', 'null'],
    ['an empty string', ''],
    ['a host without a scheme', 'example.com'],
    ['text that is no URL', 'not an origin'],
    ['a file URL (no host)', 'file:///etc/passwd'],
  ])('refuses %s', (_name, origin) => {
    expect(normalizeOrigin(origin)).toBeNull();
  });

  it('refuses a value that is not a string', () => {
    expect(normalizeOrigin(undefined as unknown as string)).toBeNull();
  });
});

describe('isSameOrigin', () => {
  it.each([
    ['the same host', 'https://app.example.com', 'app.example.com'],
    ['the same host and port', 'http://127.0.0.1:3000', '127.0.0.1:3000'],
    ['a host that differs in case only', 'https://App.Example.com', 'app.EXAMPLE.com'],
    ['an origin spelling out the default port', 'http://example.com:80', 'example.com'],
  ])('is true for %s', (_name, origin, host) => {
    expect(isSameOrigin(request({ origin, host }))).toBe(true);
  });

  it.each([
    ['another port', 'http://127.0.0.1:3001', '127.0.0.1:3000'],
    ['another host', 'https://evil.com', 'good.com'],
    ['the host as a prefix of a longer host', 'https://good.com.evil.com', 'good.com'],
    ['the host as a suffix of a longer host', 'https://evilgood.com', 'good.com'],
    ['the host as user info', 'https://good.com@evil.com', 'good.com'],
    ['the host in the path', 'https://evil.com/good.com', 'good.com'],
    ['the "null" origin', 'null', 'good.com'],
    ['an origin that is not a URL', 'good.com', 'good.com'],
  ])('is false for %s', (_name, origin, host) => {
    expect(isSameOrigin(request({ origin, host }))).toBe(false);
  });

  it('is false without an Origin or without a Host header', () => {
    expect(isSameOrigin(request({ host: 'good.com' }))).toBe(false);
    expect(isSameOrigin(request({ origin: 'https://good.com' }))).toBe(false);
  });
});

describe('OriginPolicy', () => {
  const host = 'app.example.com';

  describe('with an empty allow list', () => {
    const policy = new OriginPolicy([]);

    it('accepts a request without an Origin header (a non-browser client)', () => {
      expect(policy.accepts(request({ host }))).toBe(true);
    });

    it('accepts a same-origin request', () => {
      expect(policy.accepts(request({ origin: `https://${host}`, host }))).toBe(true);
    });

    it('refuses a cross-origin request', () => {
      expect(policy.accepts(request({ origin: 'https://other.example.com', host }))).toBe(false);
    });

    it('refuses the "null" origin', () => {
      expect(policy.accepts(request({ origin: 'null', host }))).toBe(false);
    });

    it('does not allow every origin', () => {
      expect(policy.allowsEveryOrigin).toBe(false);
    });
  });

  describe('with an allow list', () => {
    const policy = new OriginPolicy(['https://Good.com:443', 'http://localhost:5173']);
    const from = (origin: string): boolean => policy.accepts(request({ origin, host }));

    it('accepts the listed origins, compared after normalisation', () => {
      expect(from('https://good.com')).toBe(true);
      expect(from('https://GOOD.com:443')).toBe(true);
      expect(from('http://localhost:5173')).toBe(true);
    });

    it('still accepts same-origin requests and requests without Origin', () => {
      expect(from(`https://${host}`)).toBe(true);
      expect(policy.accepts(request({ host }))).toBe(true);
    });

    it.each([
      ['another scheme', 'http://good.com'],
      ['another port', 'https://good.com:8443'],
      ['a listed port on another host', 'http://localhost:5174'],
      ['the listed host followed by another domain', 'https://good.com.evil.com'],
      ['the listed host preceded by other letters', 'https://evilgood.com'],
      ['a subdomain of the listed host', 'https://www.good.com'],
      ['the listed origin as user info', 'https://good.com@evil.com'],
      ['the listed origin with a path', 'https://good.com/x'],
      ['the "null" origin', 'null'],
      ['garbage', '%%%'],
    ])('refuses %s', (_name, origin) => {
      expect(from(origin)).toBe(false);
    });
  });

  describe('with "*"', () => {
    const policy = new OriginPolicy(['*']);

    it('accepts every origin, even "null"', () => {
      expect(policy.accepts(request({ origin: 'https://anything.example', host }))).toBe(true);
      expect(policy.accepts(request({ origin: 'null', host }))).toBe(true);
    });

    it('says so', () => {
      expect(policy.allowsEveryOrigin).toBe(true);
    });
  });
});
