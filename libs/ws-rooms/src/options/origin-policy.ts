import type { IncomingMessage } from 'node:http';

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  'http:': '80',
  'https:': '443',
  'ws:': '80',
  'wss:': '443',
};

/**
 * Normalises an origin to `scheme://host[:port]` in lower case with the scheme's default port removed,
 * or returns null when the text is not an origin. `null` origins (sandboxed frames) are not origins.
 */
export function normalizeOrigin(origin: string): string | null {
  if (typeof origin !== 'string' || origin === 'null') return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (
    !url.host ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    return null;
  }
  const port = url.port && url.port !== DEFAULT_PORTS[url.protocol] ? `:${url.port}` : '';
  return `${url.protocol}//${url.hostname}${port}`.toLowerCase();
}

/**
 * True when the request's `Origin` names the host the request was sent to (the `Host` header): the
 * page was served by this server. Exported so a custom `checkOrigin` can build on it.
 */
export function isSameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  return originHost.toLowerCase() === host.toLowerCase();
}

/**
 * The default origin policy: requests without an `Origin` header (non-browser clients) and
 * same-origin requests pass, as do the exact origins of the allow list; everything else is refused.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;
  private readonly allowAll: boolean;

  constructor(allowedOrigins: readonly string[]) {
    this.allowAll = allowedOrigins.includes('*');
    this.allowed = new Set(
      allowedOrigins
        .filter((origin) => origin !== '*')
        .map((origin) => normalizeOrigin(origin) as string),
    );
  }

  /** True when every origin is accepted (`'*'` in the allow list). */
  get allowsEveryOrigin(): boolean {
    return this.allowAll;
  }

  /** Decides one upgrade request. */
  accepts(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    if (this.allowAll || isSameOrigin(request)) return true;
    const normalized = normalizeOrigin(origin);
    return normalized !== null && this.allowed.has(normalized);
  }
}
