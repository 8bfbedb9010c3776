import type { IncomingMessage } from 'node:http';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import {
  HostPolicy,
  isLoopbackHost,
  isSameOrigin,
  normalizeOrigin,
  OriginPolicy,
  parseHost,
} from './origin-policy';
import { resolveOptions } from './resolve-options';
import type { WsRoomsOptions } from './ws-rooms-options.interface';

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

describe('parseHost', () => {
  it.each([
    ['example.com', 'example.com', undefined],
    ['Example.COM:8080', 'example.com', '8080'],
    ['localhost:03000', 'localhost', '3000'],
    ['127.0.0.1', '127.0.0.1', undefined],
    ['[::1]', '[::1]', undefined],
    ['[::1]:3000', '[::1]', '3000'],
    ['[2001:DB8::1]:443', '[2001:db8::1]', '443'],
    ['my_host.local:65535', 'my_host.local', '65535'],
  ])('splits %s', (text, name, port) => {
    expect(parseHost(text)).toEqual({ name, port });
  });

  it.each([
    ['an empty string', ''],
    ['a user name', 'user@example.com'],
    ['a path', 'example.com/x'],
    ['an empty port', 'example.com:'],
    ['a port over 65535', 'example.com:65536'],
    ['a port that is not a number', 'example.com:http'],
    ['two ports', 'example.com:80:81'],
    ['a bare IPv6 address', '::1'],
    ['an unclosed bracket', '[::1'],
    ['text after the bracket', '[::1]x'],
    ['a space', 'example.com '],
    ['a name of 301 characters', 'a'.repeat(301)],
    ['a value that is not a string', 42],
  ])('refuses %s', (_name, text) => {
    expect(parseHost(text)).toBeNull();
  });

  it('is linear on long hostile input', () => {
    const hostile = `[${':'.repeat(299)}`;
    const started = performance.now();
    for (let i = 0; i < 1000; i++) parseHost(hostile);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('isLoopbackHost', () => {
  it.each(['localhost', 'localhost:3000', '127.0.0.1:80', '[::1]:8080', 'LocalHost'])(
    'accepts %s',
    (host) => {
      expect(isLoopbackHost(request({ host }))).toBe(true);
    },
  );

  it.each([
    'attacker.example',
    'localhost.attacker.example',
    '127.0.0.1.nip.io',
    'localhost.',
    '0.0.0.0',
    'user@localhost',
  ])('refuses %s', (host) => {
    expect(isLoopbackHost(request({ host }))).toBe(false);
  });

  it('refuses a request without a Host header', () => {
    expect(isLoopbackHost(request({}))).toBe(false);
  });
});

describe('HostPolicy', () => {
  it('accepts every host when nothing is listed', () => {
    const policy = new HostPolicy([]);
    expect(policy.restricts).toBe(false);
    expect(policy.accepts(request({ host: 'anything.example' }))).toBe(true);
    expect(policy.lists(request({ host: 'anything.example' }))).toBe(false);
  });

  describe('with entries', () => {
    const policy = new HostPolicy(['Chat.Example.com', 'localhost:3000', '[::1]']);
    const accepts = (host: string | undefined): boolean => policy.accepts(request({ host }));

    it('accepts a name listed without a port on any port, compared without case', () => {
      expect(accepts('chat.example.com')).toBe(true);
      expect(accepts('CHAT.example.com:8443')).toBe(true);
      expect(accepts('[::1]:9000')).toBe(true);
    });

    it('accepts a name listed with a port on that port only', () => {
      expect(accepts('localhost:3000')).toBe(true);
      expect(accepts('localhost:3001')).toBe(false);
      expect(accepts('localhost')).toBe(false);
    });

    it.each([
      ['another host', 'attacker.example'],
      ['a subdomain', 'www.chat.example.com'],
      ['the name as a prefix', 'chat.example.com.attacker.example'],
      ['the name with a trailing dot', 'chat.example.com.'],
      ['garbage', 'chat.example.com:80:80'],
      ['no Host header', undefined],
    ])('refuses %s', (_name, host) => {
      expect(accepts(host)).toBe(false);
    });
  });
});

describe('OriginPolicy with allowedHosts', () => {
  const policy = new OriginPolicy(['https://pages.example.com'], ['chat.example.com']);

  it('counts same origin only for a listed host', () => {
    expect(
      policy.accepts(request({ origin: 'https://chat.example.com', host: 'chat.example.com' })),
    ).toBe(true);
    // DNS rebinding: Origin and Host both name the attacker.
    expect(
      policy.accepts(request({ origin: 'http://attacker.example', host: 'attacker.example' })),
    ).toBe(false);
  });

  it('still accepts the listed origins and requests without Origin', () => {
    expect(
      policy.accepts(request({ origin: 'https://pages.example.com', host: 'chat.example.com' })),
    ).toBe(true);
    expect(policy.accepts(request({ host: 'chat.example.com' }))).toBe(true);
  });
});

describe('resolveOptions: allowedHosts', () => {
  function failure(allowedHosts: unknown): string {
    try {
      resolveOptions({ endpoint: '/ws', allowedHosts } as WsRoomsOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(WsRoomsError);
      expect((error as WsRoomsError).code).toBe(WsRoomsErrorCode.InvalidOption);
      return (error as Error).message;
    }
    throw new Error('expected resolveOptions to throw');
  }

  it('defaults to any host (an empty list once resolved)', () => {
    expect(resolveOptions({ endpoint: '/ws' }).allowedHosts).toEqual([]);
  });

  it('keeps the entries in lower case', () => {
    expect(
      resolveOptions({ endpoint: '/ws', allowedHosts: ['Chat.Example.com', 'localhost:3000'] })
        .allowedHosts,
    ).toEqual(['chat.example.com', 'localhost:3000']);
  });

  it.each([
    ['an empty list', [], 'must be a non-empty array'],
    ['a string', 'example.com', 'must be a non-empty array'],
    ['an origin', ['https://example.com'], '"https://example.com" is not a host name'],
    ['a wildcard', ['*.example.com'], '"*.example.com" is not a host name'],
    ['a number', [42], '42 is not a host name'],
  ])('refuses %s', (_name, value, message) => {
    expect(failure(value)).toContain(message);
  });
});
