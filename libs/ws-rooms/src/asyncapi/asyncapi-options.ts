import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import {
  DEFAULT_DASHBOARD_PATH,
  type DashboardOptions,
  dashboardPaths,
} from '../observability/observability-options';
import { parseHost } from '../options/origin-policy';
import { RESERVED_EVENT_PREFIX } from '../protocol/protocol.constants';
import type { AsyncApiSchema } from './asyncapi-document.types';

/**
 * A class the document can describe a value by: `String`, `Number`, `Boolean`, `Buffer`,
 * `Uint8Array`, `Array`, `Object`, `Date`, or a DTO class (described from its class-validator
 * decorators, else from its decorated properties' design types).
 */
export type AsyncApiPayloadClass = abstract new (...args: never[]) => unknown;

/** A value's type for the document: a class (see {@link AsyncApiPayloadClass}) or a JSON Schema written out. */
export type AsyncApiPayload = AsyncApiPayloadClass | AsyncApiSchema;

/** A request the server sends to clients (`connection.request(event, value)`), for the document. */
export interface AsyncApiRequestDeclaration {
  /** The type of the request's value. @default any JSON value */
  readonly value?: AsyncApiPayload;
  /** The type of the client's reply. @default any JSON value */
  readonly reply?: AsyncApiPayload;
  /** What the request is for, in the document. */
  readonly description?: string;
}

/**
 * The `asyncapi` option: serve an AsyncAPI 3.0.0 document (JSON) of the endpoint, generated once
 * from its gateways' metadata: the events clients send (`@OnEvent`, `@SubscribeMessage`) with the
 * payload schemas of their `@MessageBody()` types and DTO classes, the replies and requests, the
 * reserved `ws-rooms:*` events and the error codes. Endpoints that give the same `path` share one
 * document, one channel each.
 */
export interface AsyncApiOptions {
  /**
   * HTTP path of the document (`GET`, `HEAD`), plain segments only.
   * @default '/asyncapi.json'
   */
  path?: string;
  /**
   * The document's `info.title`. Endpoints sharing a path must agree on it.
   * @default 'ws-rooms'
   */
  title?: string;
  /**
   * The document's `info.version`: the version of your API (not of ws-rooms).
   * @default '1.0.0'
   */
  version?: string;
  /** The document's `info.description` (CommonMark). */
  description?: string;
  /**
   * The host (and port) clients connect to, e.g. `chat.example.com` or `localhost:3000`, written as
   * the server's `host`. Without it, the request's `Host` header is written only when it is
   * trusted: a loopback name (`localhost`, `127.0.0.1`, `[::1]`) or a host of the endpoint's
   * `allowedHosts`; otherwise the host is the server variable `{host}`.
   */
  host?: string;
  /**
   * The server's protocol: `ws`, or `wss` when clients reach the app through TLS.
   * @default 'ws'
   */
  protocol?: 'ws' | 'wss';
  /**
   * Events the server sends (`connection.emit`, `to(room).emit`) that the gateways' metadata cannot
   * show, by name, with their value's type: `{ said: SaidDto, members: Number }`.
   * @default {}
   */
  serverEvents?: Readonly<Record<string, AsyncApiPayload>>;
  /**
   * Requests the server sends to clients (`connection.request`), by event name.
   * @default {}
   */
  requestsToClient?: Readonly<Record<string, AsyncApiRequestDeclaration>>;
}

/** `asyncapi` once defaults are applied. */
export interface ResolvedAsyncApiOptions {
  readonly path: string;
  readonly title: string;
  readonly version: string;
  readonly description: string | undefined;
  /** Lower-case `name[:port]`, or undefined to take a trusted `Host`. */
  readonly host: string | undefined;
  readonly protocol: 'ws' | 'wss';
  readonly serverEvents: Readonly<Record<string, AsyncApiPayload>>;
  readonly requestsToClient: Readonly<Record<string, AsyncApiRequestDeclaration>>;
}

/** The default of `asyncapi.path`. */
export const DEFAULT_ASYNCAPI_PATH = '/asyncapi.json';
/** The default of `asyncapi.title`. */
export const DEFAULT_ASYNCAPI_TITLE = 'ws-rooms';
/** The default of `asyncapi.version`. */
export const DEFAULT_ASYNCAPI_VERSION = '1.0.0';

// Plain path segments, as the metrics' path: the router (Express, Fastify) would read `:` or `*`.
const ROUTE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/** What else the endpoint serves over HTTP, which the document's path must not take. */
export interface AsyncApiTakenPaths {
  readonly endpoint: string;
  readonly clientScriptPath: string | false;
  /** The resolved `metrics` option. */
  readonly metrics: { readonly path: string } | false;
  /** The `dashboard` option as given (already validated). */
  readonly dashboard: false | DashboardOptions | undefined;
}

/**
 * Validates the `asyncapi` option and applies its defaults.
 * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION`
 */
export function resolveAsyncApiOptions(
  asyncapi: false | AsyncApiOptions | undefined,
  taken: AsyncApiTakenPaths,
): ResolvedAsyncApiOptions | false {
  if (asyncapi === undefined || asyncapi === false) return false;
  const { endpoint } = taken;
  const takenPaths: (string | false)[] = [
    endpoint,
    taken.clientScriptPath,
    taken.metrics === false ? false : taken.metrics.path,
  ];
  if (typeof taken.dashboard === 'object' && taken.dashboard !== null) {
    takenPaths.push(
      ...Object.values(dashboardPaths(taken.dashboard.path ?? DEFAULT_DASHBOARD_PATH)),
    );
  }
  if (typeof asyncapi !== 'object' || asyncapi === null)
    fail('"asyncapi" must be false or an object');
  if (endpoint === '') fail('"asyncapi" needs an enabled endpoint ("endpoint" is empty)');
  const path = asyncapi.path ?? DEFAULT_ASYNCAPI_PATH;
  if (typeof path !== 'string' || !ROUTE_PATH.test(path)) {
    fail(
      `"asyncapi.path" must be a path of plain segments such as "/asyncapi.json" (letters, digits, "._~-"; no trailing "/"), got ${JSON.stringify(path)}`,
    );
  }
  if (takenPaths.includes(path)) {
    fail(
      `"asyncapi.path" ${JSON.stringify(path)} is already used by the endpoint, its client script, its metrics or its dashboard`,
    );
  }
  const title = text(asyncapi.title, 'asyncapi.title', DEFAULT_ASYNCAPI_TITLE);
  const version = text(asyncapi.version, 'asyncapi.version', DEFAULT_ASYNCAPI_VERSION);
  const description =
    asyncapi.description === undefined
      ? undefined
      : text(asyncapi.description, 'asyncapi.description', '');
  let host: string | undefined;
  if (asyncapi.host !== undefined) {
    const parsed = parseHost(asyncapi.host);
    if (parsed === null) {
      fail(
        `"asyncapi.host" must be a host name with an optional port (e.g. "chat.example.com", "localhost:3000"), got ${JSON.stringify(asyncapi.host)}`,
      );
    }
    host = parsed.port === undefined ? parsed.name : `${parsed.name}:${parsed.port}`;
  }
  const protocol = asyncapi.protocol ?? 'ws';
  if (protocol !== 'ws' && protocol !== 'wss') {
    fail(`"asyncapi.protocol" must be "ws" or "wss", got ${JSON.stringify(protocol)}`);
  }
  const serverEvents = record(asyncapi.serverEvents, 'asyncapi.serverEvents');
  for (const [event, payload] of Object.entries(serverEvents)) {
    assertPayload(payload, `asyncapi.serverEvents[${JSON.stringify(event)}]`);
  }
  const requestsToClient = record(asyncapi.requestsToClient, 'asyncapi.requestsToClient');
  for (const [event, request] of Object.entries(requestsToClient)) {
    const where = `asyncapi.requestsToClient[${JSON.stringify(event)}]`;
    if (typeof request !== 'object' || request === null) fail(`"${where}" must be an object`);
    if (request.value !== undefined) assertPayload(request.value, `${where}.value`);
    if (request.reply !== undefined) assertPayload(request.reply, `${where}.reply`);
    if (request.description !== undefined) text(request.description, `${where}.description`, '');
  }
  return {
    path,
    title,
    version,
    description,
    host,
    protocol,
    serverEvents: { ...serverEvents },
    requestsToClient: { ...requestsToClient },
  };
}

function text(value: unknown, key: string, fallback: string): string {
  const result = value ?? fallback;
  if (typeof result !== 'string' || (result === '' && fallback !== '')) {
    fail(`"${key}" must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return result;
}

/** An object of event names; each name must be one an application may use. */
function record<T>(value: Readonly<Record<string, T>> | undefined, key: string): Record<string, T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`"${key}" must be an object of event names`);
  }
  for (const event of Object.keys(value)) {
    if (event === '' || event.includes(';') || event.startsWith(RESERVED_EVENT_PREFIX)) {
      fail(
        `"${key}" names the event ${JSON.stringify(event)}: an event name is non-empty, has no ";" and does not start with "${RESERVED_EVENT_PREFIX}"`,
      );
    }
  }
  return value;
}

function assertPayload(payload: unknown, key: string): void {
  if (typeof payload === 'function') return;
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) return;
  fail(`"${key}" must be a class (String, Number, a DTO...) or a JSON schema object`);
}

function fail(message: string): never {
  throw new WsRoomsError(WsRoomsErrorCode.InvalidOption, `ws-rooms: invalid option: ${message}`);
}
