import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { writeHttpError } from '../http/write-http-error';
import { generateConnectionId, isDefaultConnectionId } from '../server/admission/connection-id';
import { DEFAULT_MAX_JSON_STRING_LENGTH } from '../protocol/json-bounds';
import { DEFAULT_PREFIX } from '../protocol/protocol.constants';
import { MemoryRoomStore } from '../store/memory-room-store';
import { normalizeOrigin, parseHost } from './origin-policy';
import { renamedOption } from './renamed-option';
import {
  resolveDashboardOptions,
  resolveMetricsOptions,
} from '../observability/observability-options';
import type { ResolvedWsRoomsOptions, WsRoomsOptions } from './ws-rooms-options.interface';
import { resolveAsyncApiOptions } from '../asyncapi/asyncapi-options';

/** The name of an endpoint registered without one. */
export const DEFAULT_ENDPOINT_NAME = 'default';

const DEFAULT_PONG_TIMEOUT = 60_000;

/**
 * The server's default `maxJsonValues`: tighter than what a 64 KiB message can hold (32,768), because
 * a handler's pipes walk every value: a 6,000-key body cost 30 ms in a `ValidationPipe`, and the rate
 * limit lets a connection send 100 such messages a second. 2,048 values keeps that walk to a few
 * milliseconds; an application that receives larger documents raises the option.
 */
const SERVER_MAX_JSON_VALUES = 2048;

/**
 * Applies the documented defaults and rejects contradictions up front, with messages that name the
 * option and the value. Called once per endpoint at start-up.
 * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION`
 */
export function resolveOptions(input: string | WsRoomsOptions): ResolvedWsRoomsOptions {
  // Checked before the spread below, which would turn null or a number into an empty object.
  if (input === null || (typeof input !== 'string' && typeof input !== 'object')) {
    fail('options must be an object or an endpoint path');
  }
  const options: WsRoomsOptions = typeof input === 'string' ? { endpoint: input } : { ...input };
  if (typeof options.endpoint !== 'string')
    fail('"endpoint" must be a string (an empty string disables the server)');
  if (options.endpoint !== '' && !options.endpoint.startsWith('/')) {
    fail(`"endpoint" must start with "/", got ${JSON.stringify(options.endpoint)}`);
  }
  const pongTimeout = positiveInteger(options, 'pongTimeout', DEFAULT_PONG_TIMEOUT);
  const pingPeriod = positiveInteger(options, 'pingPeriod', Math.floor((pongTimeout * 9) / 10));
  if (pingPeriod >= pongTimeout) {
    fail(`"pingPeriod" (${pingPeriod}) must be less than "pongTimeout" (${pongTimeout})`);
  }
  const messagePrefix = resolveMessagePrefix(options);
  const name = options.name ?? DEFAULT_ENDPOINT_NAME;
  if (typeof name !== 'string' || name.length === 0) fail('"name" must be a non-empty string');
  const clientScriptPath = options.clientScriptPath ?? '/iris-ws.js';
  if (
    clientScriptPath !== false &&
    (typeof clientScriptPath !== 'string' || !clientScriptPath.startsWith('/'))
  ) {
    fail(
      `"clientScriptPath" must be a path starting with "/" or false, got ${JSON.stringify(clientScriptPath)}`,
    );
  }
  const allowedOrigins = options.allowedOrigins ?? [];
  if (!Array.isArray(allowedOrigins)) fail('"allowedOrigins" must be an array of origins');
  for (const origin of allowedOrigins) {
    if (origin !== '*' && (origin.includes('*') || normalizeOrigin(origin) === null)) {
      fail(
        `"allowedOrigins" entry ${JSON.stringify(origin)} is not an origin (scheme://host[:port])`,
      );
    }
  }
  const allowedHosts = resolveAllowedHosts(options.allowedHosts);
  const maxConnectionRatePerAddress = nonNegativeInteger(
    options,
    'maxConnectionRatePerAddress',
    20,
  );
  const maxConnectionBurstPerAddress = positiveInteger(options, 'maxConnectionBurstPerAddress', 40);
  if (
    options.store !== undefined &&
    (options.store === null ||
      typeof options.store !== 'object' ||
      typeof options.store.publish !== 'function')
  ) {
    fail('"store" must implement RoomStore');
  }
  const handshakeGuards = options.handshakeGuards ?? [];
  if (!Array.isArray(handshakeGuards)) fail('"handshakeGuards" must be an array of guards');
  const maxMessageRate = nonNegativeInteger(options, 'maxMessageRate', 100);
  const maxMessageBurst = positiveInteger(options, 'maxMessageBurst', 200);
  if (maxMessageRate > 0 && maxMessageBurst < 1) fail('"maxMessageBurst" must be at least 1');
  for (const key of [
    'checkOrigin',
    'idGenerator',
    'isConnectionId',
    'error',
    'onError',
    'authenticate',
  ] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function')
      fail(`"${key}" must be a function`);
  }
  const metrics = resolveMetricsOptions(options.metrics, {
    endpoint: options.endpoint,
    clientScriptPath,
  });
  return {
    endpoint: options.endpoint,
    name,
    messagePrefix,
    writeTimeout: positiveInteger(options, 'writeTimeout', 15_000),
    pongTimeout,
    pingPeriod,
    maxMessageSize: positiveInteger(options, 'maxMessageSize', 64 * 1024),
    maxBufferedBytes: positiveInteger(options, 'maxBufferedBytes', 1024 * 1024),
    binaryMessages: booleanOption(options, 'binaryMessages', false),
    readBufferSize: nonNegativeInteger(options, 'readBufferSize', 0),
    writeBufferSize: positiveInteger(options, 'writeBufferSize', 64 * 1024),
    headers: resolveHeaders(options.headers),
    maxHeaderBytes: positiveInteger(options, 'maxHeaderBytes', 4096),
    error:
      options.error ??
      ((context, status, reason) =>
        writeHttpError(context.socket, status, reason, context.responseHeaders)),
    checkOrigin: options.checkOrigin,
    allowedOrigins: [...allowedOrigins],
    idGenerator: options.idGenerator ?? generateConnectionId,
    isConnectionId: resolveIsConnectionId(options),
    maxRoomNameLength: positiveInteger(options, 'maxRoomNameLength', 128),
    handshakeTimeout: positiveInteger(options, 'handshakeTimeout', 10_000),
    clientScriptPath,
    closeTimeout: positiveInteger(options, 'closeTimeout', 5_000),
    onError: options.onError,
    store: options.store ?? new MemoryRoomStore(),
    authenticate: options.authenticate,
    handshakeGuards: [...handshakeGuards],
    maxConnections: positiveInteger(options, 'maxConnections', 100_000),
    maxConnectionsPerAddress: nonNegativeInteger(options, 'maxConnectionsPerAddress', 1000),
    allowedHosts,
    maxConnectionRatePerAddress,
    maxConnectionBurstPerAddress,
    maxConnectionRateAddresses: positiveInteger(options, 'maxConnectionRateAddresses', 10_000),
    maxMessageRate,
    maxMessageBurst,
    maxRoomsPerConnection: positiveInteger(options, 'maxRoomsPerConnection', 100),
    maxEventNameLength: positiveInteger(options, 'maxEventNameLength', 128),
    maxJsonDepth: positiveInteger(options, 'maxJsonDepth', 32),
    maxJsonValues: positiveInteger(options, 'maxJsonValues', SERVER_MAX_JSON_VALUES),
    maxJsonStringLength: positiveInteger(
      options,
      'maxJsonStringLength',
      DEFAULT_MAX_JSON_STRING_LENGTH,
    ),
    perMessageDeflate: booleanOption(options, 'perMessageDeflate', false),
    requestTimeout: positiveInteger(options, 'requestTimeout', 10_000),
    maxPendingHandlers: positiveInteger(options, 'maxPendingHandlers', 64),
    maxPendingRequests: positiveInteger(options, 'maxPendingRequests', 256),
    fragmentTimeout: nonNegativeInteger(options, 'fragmentTimeout', 20_000),
    recovery: resolveRecovery(options.recovery),
    presence: resolvePresence(options.presence),
    metrics,
    dashboard: resolveDashboardOptions(
      options.dashboard,
      { endpoint: options.endpoint, clientScriptPath },
      metrics,
    ),
    // After "dashboard", which validates the option this reads.
    asyncapi: resolveAsyncApiOptions(options.asyncapi, {
      endpoint: options.endpoint,
      clientScriptPath,
      metrics,
      dashboard: options.dashboard,
    }),
  };
}

/** `messagePrefix`, or its deprecated alias `prefix`. */
function resolveMessagePrefix(options: WsRoomsOptions): string {
  const { key, value = DEFAULT_PREFIX } = renamedOption(
    'messagePrefix',
    options.messagePrefix,
    'prefix',
    options.prefix,
  );
  if (typeof value !== 'string' || value.length === 0) fail(`"${key}" must be a non-empty string`);
  return value;
}

function resolveRecovery(recovery: WsRoomsOptions['recovery']): ResolvedWsRoomsOptions['recovery'] {
  if (recovery === undefined || recovery === false) return false;
  if (typeof recovery !== 'object' || recovery === null)
    fail('"recovery" must be false or an object');
  const windowMs = recovery.windowMs ?? 120_000;
  const maxMessages = recovery.maxMessages ?? 1000;
  const bounds = {
    windowMs,
    maxMessages,
    maxLogBytes: recovery.maxLogBytes ?? 16 * 1024 * 1024,
    maxSessions: recovery.maxSessions ?? 10_000,
    maxSessionBytes: recovery.maxSessionBytes ?? 16 * 1024 * 1024,
    maxSessionsPerAddress: recovery.maxSessionsPerAddress ?? 8,
  };
  for (const [key, value] of Object.entries(bounds)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      fail(`"recovery.${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  return bounds;
}

/** `allowedHosts`: `[]` (resolved) means any host; an empty list given explicitly is a mistake. */
function resolveAllowedHosts(hosts: WsRoomsOptions['allowedHosts']): readonly string[] {
  if (hosts === undefined) return [];
  if (!Array.isArray(hosts) || hosts.length === 0) {
    fail('"allowedHosts" must be a non-empty array of host names (leave it out to allow any host)');
  }
  for (const host of hosts) {
    if (parseHost(host) === null) {
      fail(
        `"allowedHosts" entry ${JSON.stringify(host)} is not a host name with an optional port ` +
          '(e.g. "chat.example.com", "localhost:3000", "[::1]")',
      );
    }
  }
  return hosts.map((host) => host.toLowerCase());
}

function resolveHeaders(headers: WsRoomsOptions['headers']): boolean | readonly string[] {
  if (headers === undefined || headers === null) return true;
  if (typeof headers === 'boolean') return headers;
  if (!Array.isArray(headers) || headers.some((name) => typeof name !== 'string')) {
    fail('"headers" must be a boolean or an array of header names');
  }
  return headers.map((name) => name.toLowerCase());
}

function resolveIsConnectionId(options: WsRoomsOptions): (name: string) => boolean {
  if (options.isConnectionId !== undefined) {
    if (typeof options.isConnectionId !== 'function') fail('"isConnectionId" must be a function');
    return options.isConnectionId;
  }
  if (options.idGenerator !== undefined) {
    fail(
      '"idGenerator" needs "isConnectionId" too, so that no room name can be spelled like an id ' +
        '(e.g. for 64-letter ids: isConnectionId: (name) => /^[A-Za-z]{64}$/.test(name))',
    );
  }
  return isDefaultConnectionId;
}

function resolvePresence(presence: WsRoomsOptions['presence']): ResolvedWsRoomsOptions['presence'] {
  if (presence === undefined || presence === false) return false;
  if (typeof presence !== 'object' || presence === null)
    fail('"presence" must be false or an object');
  const { rooms } = presence;
  if (typeof rooms !== 'function' && !Array.isArray(rooms)) {
    fail('"presence.rooms" must be an array of room names or a predicate');
  }
  if (presence.metadata !== undefined && typeof presence.metadata !== 'function') {
    fail('"presence.metadata" must be a function');
  }
  return { rooms, metadata: presence.metadata ?? (() => ({})) };
}

type NumericKey = {
  [K in keyof WsRoomsOptions]-?: NonNullable<WsRoomsOptions[K]> extends number ? K : never;
}[keyof WsRoomsOptions];
type BooleanKey = {
  [K in keyof WsRoomsOptions]-?: NonNullable<WsRoomsOptions[K]> extends boolean ? K : never;
}[keyof WsRoomsOptions];

function positiveInteger(options: WsRoomsOptions, key: NumericKey, fallback: number): number {
  const value = options[key] ?? fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    fail(`"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function nonNegativeInteger(options: WsRoomsOptions, key: NumericKey, fallback: number): number {
  const value = options[key] ?? fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    fail(`"${key}" must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function booleanOption(options: WsRoomsOptions, key: BooleanKey, fallback: boolean): boolean {
  const value = options[key] ?? fallback;
  if (typeof value !== 'boolean') fail(`"${key}" must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

function fail(message: string): never {
  throw new WsRoomsError(WsRoomsErrorCode.InvalidOption, `ws-rooms: invalid option: ${message}`);
}
