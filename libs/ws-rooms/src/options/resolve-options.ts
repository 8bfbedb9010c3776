import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { writeHttpError } from '../http/write-http-error';
import { generateConnectionId } from '../server/connection-id';
import { DEFAULT_PREFIX } from '../protocol/protocol.constants';
import { MemoryRoomStore } from '../store/memory-room-store';
import { normalizeOrigin } from './origin-policy';
import type { ResolvedWsRoomsOptions, WsRoomsOptions } from './ws-rooms-options.interface';

/** The name of an endpoint registered without one. */
export const DEFAULT_ENDPOINT_NAME = 'default';

const DEFAULT_PONG_TIMEOUT = 60_000;

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
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix.length === 0)
    fail('"prefix" must be a non-empty string');
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
    if (origin !== '*' && normalizeOrigin(origin) === null) {
      fail(
        `"allowedOrigins" entry ${JSON.stringify(origin)} is not an origin (scheme://host[:port])`,
      );
    }
  }
  if (
    options.store !== undefined &&
    (options.store === null ||
      typeof options.store !== 'object' ||
      typeof options.store.publish !== 'function')
  ) {
    fail('"store" must implement RoomStore');
  }
  for (const key of ['checkOrigin', 'idGenerator', 'error', 'onError'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function')
      fail(`"${key}" must be a function`);
  }
  return {
    endpoint: options.endpoint,
    name,
    prefix,
    writeTimeout: positiveInteger(options, 'writeTimeout', 15_000),
    pongTimeout,
    pingPeriod,
    maxMessageSize: positiveInteger(options, 'maxMessageSize', 64 * 1024),
    maxBufferedBytes: positiveInteger(options, 'maxBufferedBytes', 1024 * 1024),
    binaryMessages: booleanOption(options, 'binaryMessages', false),
    readBufferSize: nonNegativeInteger(options, 'readBufferSize', 0),
    writeBufferSize: positiveInteger(options, 'writeBufferSize', 64 * 1024),
    headers: booleanOption(options, 'headers', true),
    error:
      options.error ??
      ((context, status, reason) => writeHttpError(context.socket, status, reason)),
    checkOrigin: options.checkOrigin,
    allowedOrigins: [...allowedOrigins],
    idGenerator: options.idGenerator ?? generateConnectionId,
    clientScriptPath,
    closeTimeout: positiveInteger(options, 'closeTimeout', 5_000),
    onError: options.onError,
    store: options.store ?? new MemoryRoomStore(),
  };
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
