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
 *
 * `Host` is chosen by the client: under DNS rebinding a hostile page on `evil.example`, resolved to
 * your server's address, sends `Host: evil.example` and `Origin: http://evil.example` and is "same
 * origin". Only trust this together with a host allow list (`allowedHosts`, {@link HostPolicy}).
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

/** A `Host` header or an `allowedHosts` entry, split: the lower-case name and the port, if any. */
export interface HostName {
  /** Lower case; an IPv6 literal keeps its brackets (`[::1]`). */
  readonly name: string;
  /** Decimal digits without leading zeros, or undefined when the text named no port. */
  readonly port: string | undefined;
}

const NAME_CHARACTERS = /^[a-z0-9._-]+$/;
const IPV6_CHARACTERS = /^\[[0-9a-f:.]+\]$/;
const PORT_DIGITS = /^[0-9]{1,5}$/;

/**
 * Splits `name[:port]` or `[ipv6][:port]` (a `Host` header, an `allowedHosts` entry), or returns
 * null when the text is not one: empty, a user name, a path, a second colon outside brackets, a
 * port over 65535, characters no host name has. One linear pass; nothing is resolved.
 */
export function parseHost(text: unknown): HostName | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 300) return null;
  const lower = text.toLowerCase();
  let name: string;
  let rest: string;
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']');
    if (close === -1) return null;
    name = lower.slice(0, close + 1);
    rest = lower.slice(close + 1);
    if (!IPV6_CHARACTERS.test(name)) return null;
  } else {
    const colon = lower.indexOf(':');
    name = colon === -1 ? lower : lower.slice(0, colon);
    rest = colon === -1 ? '' : lower.slice(colon);
    if (!NAME_CHARACTERS.test(name)) return null;
  }
  if (rest === '') return { name, port: undefined };
  const digits = rest.slice(1);
  if (rest[0] !== ':' || !PORT_DIGITS.test(digits) || Number(digits) > 65_535) return null;
  return { name, port: String(Number(digits)) };
}

/** The names that always mean this machine: `localhost` and the loopback literals. */
export const LOOPBACK_HOST_NAMES: readonly string[] = Object.freeze([
  'localhost',
  '127.0.0.1',
  '[::1]',
]);

/**
 * True when the request's `Host` header is `localhost`, `127.0.0.1` or `[::1]`, with any port or
 * none. A page that DNS rebinding brought to this machine still sends its own host name, so a
 * check of the remote address alone ("is it loopback?") lets it in; this one does not.
 */
export function isLoopbackHost(request: IncomingMessage): boolean {
  const host = parseHost(request.headers?.host);
  return host !== null && LOOPBACK_HOST_NAMES.includes(host.name);
}

/**
 * The `allowedHosts` check: the request's `Host` header must be one of the entries. An entry
 * without a port accepts its name on any port; an entry with a port only that port. Names are
 * compared exactly (case aside): a subdomain, a longer name or a name with a trailing dot is
 * another host. With no entries every host passes (the default, as before the option existed).
 */
export class HostPolicy {
  private readonly anyPort = new Set<string>();
  private readonly withPort = new Set<string>();

  /** @param allowedHosts entries checked by {@link parseHost} (`resolveOptions` refuses others) */
  constructor(allowedHosts: readonly string[]) {
    for (const entry of allowedHosts) {
      const host = parseHost(entry);
      if (host === null) continue;
      if (host.port === undefined) this.anyPort.add(host.name);
      else this.withPort.add(`${host.name}:${host.port}`);
    }
  }

  /** True when the policy restricts hosts at all (some `allowedHosts` were given). */
  get restricts(): boolean {
    return this.anyPort.size > 0 || this.withPort.size > 0;
  }

  /** True when the request's `Host` is listed (always, when nothing is listed). */
  accepts(request: IncomingMessage): boolean {
    if (!this.restricts) return true;
    return this.lists(request);
  }

  /** True when the request's `Host` is listed (never, when nothing is listed). */
  lists(request: IncomingMessage): boolean {
    const host = parseHost(request.headers.host);
    if (host === null) return false;
    return (
      this.anyPort.has(host.name) ||
      (host.port !== undefined && this.withPort.has(`${host.name}:${host.port}`))
    );
  }
}

/**
 * The default origin policy: requests without an `Origin` header (non-browser clients) and
 * same-origin requests pass, as do the exact origins of the allow list; everything else is refused.
 * With `allowedHosts`, same origin only counts when the `Host` is listed (see {@link isSameOrigin}).
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;
  private readonly allowAll: boolean;
  private readonly hosts: HostPolicy;

  constructor(allowedOrigins: readonly string[], allowedHosts: readonly string[] = []) {
    this.hosts = new HostPolicy(allowedHosts);
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
    if (this.allowAll || (isSameOrigin(request) && this.hosts.accepts(request))) return true;
    const normalized = normalizeOrigin(origin);
    return normalized !== null && this.allowed.has(normalized);
  }
}
