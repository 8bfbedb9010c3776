import { resolveSocketUrl } from './socket-url';

const http = { protocol: 'http:', host: 'example.com:8080' };
const https = { protocol: 'https:', host: 'example.com' };

describe('resolveSocketUrl', () => {
  it.each([
    ['ws://a/b', http, 'ws://a/b'],
    ['wss://a/b', http, 'wss://a/b'],
    ['WSS://a/b', http, 'WSS://a/b'],
    ['http://a/b', https, 'ws://a/b'],
    ['HTTPS://a/b?x=1', http, 'wss://a/b?x=1'],
    ['/echo', http, 'ws://example.com:8080/echo'],
    ['/echo', https, 'wss://example.com/echo'],
    ['//other/echo', https, 'wss://other/echo'],
    ['localhost:8080/echo', http, 'ws://localhost:8080/echo'],
    ['localhost:8080/echo', https, 'wss://localhost:8080/echo'],
    ['localhost:8080/echo', undefined, 'ws://localhost:8080/echo'],
    ['/echo', undefined, '/echo'],
  ])('%s on %j gives %s', (url, location, expected) => {
    expect(resolveSocketUrl(url, location)).toBe(expected);
  });

  it('reads the page location when there is one', () => {
    const global = globalThis as { location?: unknown };
    global.location = { protocol: 'https:', host: 'page.test' };
    try {
      expect(resolveSocketUrl('/chat')).toBe('wss://page.test/chat');
    } finally {
      delete global.location;
    }
    expect(resolveSocketUrl('/chat')).toBe('/chat');
  });
});
