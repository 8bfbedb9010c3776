import { asksIdentity } from './identity-extension';

describe('asksIdentity', () => {
  it('is true for ws-rooms-identity=1 among other parameters', () => {
    expect(asksIdentity('/chat?ws-rooms-identity=1')).toBe(true);
    expect(asksIdentity('/chat?token=a&ws-rooms-identity=1&x=2')).toBe(true);
    expect(asksIdentity('/chat?token=a%26ws-rooms-identity%3D1&ws-rooms-identity=1')).toBe(true);
  });

  it('is false without the parameter, with another value, or outside the query', () => {
    for (const url of [
      undefined,
      '/chat',
      '/chat?ws-rooms-identity=0',
      '/chat?ws-rooms-identity=10',
      '/chat?x-ws-rooms-identity=1',
      '/ws-rooms-identity=1/chat',
      '/chat?token=a%26ws-rooms-identity%3D1',
      '/chat#?ws-rooms-identity=1',
    ]) {
      expect({ url, asks: asksIdentity(url) }).toEqual({ url, asks: false });
    }
  });
});
