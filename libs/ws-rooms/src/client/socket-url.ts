/** The fields of `window.location` used to complete a URL. */
export interface LocationLike {
  readonly protocol: string;
  readonly host: string;
}

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Turns what a page passes as the server address into a WebSocket URL:
 * - `ws://…` and `wss://…` are used as they are;
 * - `http://…` and `https://…` become `ws://…` and `wss://…` (older browsers refuse http URLs);
 * - `//host/path` and `/path` are completed from the page's location (`wss:` on an https page);
 * - an address without a scheme, such as `localhost:8080/echo`, gets `ws://` (`wss://` on an https
 *   page), as the original Iris client prepended `ws://`.
 * In Node there is no location: relative paths are then left for the WebSocket constructor to refuse.
 */
export function resolveSocketUrl(
  url: string,
  location: LocationLike | undefined = pageLocation(),
): string {
  const secure = location?.protocol === 'https:';
  const scheme = secure ? 'wss:' : 'ws:';
  if (HAS_SCHEME.test(url)) {
    const lower = url.slice(0, 8).toLowerCase();
    if (lower.startsWith('http://')) return 'ws://' + url.slice(7);
    if (lower.startsWith('https://')) return 'wss://' + url.slice(8);
    return url;
  }
  if (url.startsWith('//')) return location ? scheme + url : url;
  if (url.startsWith('/')) return location ? `${scheme}//${location.host}${url}` : url;
  return `${scheme}//${url}`;
}

function pageLocation(): LocationLike | undefined {
  const candidate = (globalThis as { location?: Partial<LocationLike> }).location;
  if (typeof candidate?.protocol !== 'string' || typeof candidate.host !== 'string')
    return undefined;
  return { protocol: candidate.protocol, host: candidate.host };
}
