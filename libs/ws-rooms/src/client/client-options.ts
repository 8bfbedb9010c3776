import { DEFAULT_PREFIX } from '../protocol/protocol.constants';
import { DEFAULT_CLIENT_DECODE_LIMITS, type ClientDecodeLimits } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import { defaultShouldReconnect, type CloseDetails } from './reconnect-policy';
import type { SendBufferPolicy } from './send-buffer';
import type { WebSocketConstructorLike } from './websocket-like';

/**
 * The clock of the client. Injectable so that tests drive reconnect schedules without sleeping; the
 * defaults are the global `setTimeout`/`clearTimeout` and `Math.random`.
 */
export interface ClientTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** A uniform random number in [0, 1), for the backoff's jitter. */
  random(): number;
}

/** How the client retries after an unexpected close. Every field is optional; defaults below. */
export interface ReconnectOptions {
  /** Ceiling of the first retry delay, in ms. @default 100 */
  readonly initialDelay?: number;
  /** The longest delay between two attempts, in ms. @default 5000 */
  readonly maxDelay?: number;
  /** Growth of the delay ceiling per failed attempt. @default 2 */
  readonly factor?: number;
  /** Full jitter: each delay is uniform in [0, ceiling) (see `Backoff`). @default true */
  readonly jitter?: boolean;
  /**
   * How long a connection must stay open before the backoff starts over from `initialDelay`, in ms.
   * Resetting on `open` alone would let a server that accepts and then drops at once pull the client
   * into a tight loop. @default 5000
   */
  readonly resetAfter?: number;
  /**
   * Consecutive attempts that end before the socket opens, after which the client stops retrying and
   * reports `WS_ROOMS_CLIENT_RECONNECT_GAVE_UP`. This is how a browser client detects a refused
   * handshake: browsers hide the HTTP status, so a 401/403 looks exactly like a network failure (close
   * code 1006 without `open`). The count restarts whenever a socket opens. The default gives up
   * after about 40 s of failures (full jitter, 5 s cap), long enough to ride out a server restart.
   * `Infinity` never gives up. @default 20
   */
  readonly maxFailedAttempts?: number;
  /**
   * The shortest wait, in ms, before coming back after the server closed with 1013 (Try Again
   * Later): a ws-rooms server closes a sustained message flood that way (after rate-limit errors),
   * and an overloaded server may too. With `jitter` the wait is uniform in
   * `[tryAgainLaterDelay, 2 × tryAgainLaterDelay)`, so that clients cut together do not return
   * together; never shorter than the backoff's own delay. At most 1073741823 (half the longest
   * timer). @default 5000
   */
  readonly tryAgainLaterDelay?: number;
  /**
   * Decides whether an unexpected close is retried. @default defaultShouldReconnect (no retry on a
   * refused handshake status, close codes 1000, 1003, 1008 and 4000-4499; 1013 is retried after
   * `tryAgainLaterDelay`)
   */
  readonly shouldReconnect?: (close: CloseDetails) => boolean;
}

/** Options of `WsRoomsClient`. */
export interface WsRoomsClientOptions {
  /** The event-message prefix; must match the server's `prefix`. @default 'iris-websocket-message:' */
  readonly prefix?: string;
  /** Connect from the constructor; with `false`, call `connect()`. @default true */
  readonly autoConnect?: boolean;
  /** WebSocket subprotocols to offer. @default none */
  readonly protocols?: string | string[];
  /**
   * The WebSocket implementation: in Node 20, `import WebSocket from 'ws'`.
   * @default globalThis.WebSocket (a `WS_ROOMS_CLIENT_NO_WEBSOCKET` error when it is absent)
   */
  readonly WebSocket?: WebSocketConstructorLike;
  /** Automatic reconnection: `false` turns it off, an object tunes it. @default true */
  readonly reconnect?: boolean | ReconnectOptions;
  /** The most messages kept while the connection is not open; 0 disables buffering. @default 100 */
  readonly sendBufferSize?: number;
  /** What a full send buffer does with one more message. @default 'drop-oldest' */
  readonly sendBufferPolicy?: SendBufferPolicy;
  /**
   * How long `request()` waits for the reply by default, in ms (a call's `timeout` option overrides
   * it). The time runs from the call, including any wait in the send buffer. @default 10000
   */
  readonly requestTimeout?: number;
  /**
   * Missed-message recovery, for servers with the `recovery` option on. The client then asks for a
   * session (`ws-rooms-recovery=1` in the URL's query); after an unexpected disconnect it reconnects
   * with its session token and the offset of the last room message it got, and the server gives back
   * the same id, its rooms and the room messages it missed, each exactly once and in order. See
   * `onRecovery` for what to do when that fails. A server without recovery ignores the request.
   * @default false
   */
  readonly recovery?: boolean;
  /**
   * Without `recovery`: ask the server for the connection id (`ws-rooms-identity=1` in the URL's
   * query), which it sends as the connection's first message (`ws-rooms:identity`), so that `id` is
   * known from the first `onConnect` on. The client is `'open'` once the id arrived, or once the
   * wait ends (see `sessionTimeout`). Turn it off against a server that is not ws-rooms 0.2 or
   * later (an Iris server, a hand-written one), which never sends the id: the client then opens at
   * once, and `id` stays `undefined`. With `recovery` the session carries the id and this option
   * changes nothing.
   * @default true
   */
  readonly identity?: boolean;
  /**
   * How long, in ms, the client waits after the socket opened for the server's first message when
   * it asked for one: the session (`ws-rooms:session`) with `recovery`, the id
   * (`ws-rooms:identity`) with `identity`. The client is `'open'`, `onConnect` runs and `id` is
   * known only once it arrived, so that they describe the connection the server assigned. A server
   * that does not send it (recovery off, or a server before 0.2): the first other message it sends
   * ends the wait at once, and otherwise this timeout does; both report
   * `WS_ROOMS_CLIENT_NO_SESSION` (with `recovery`) or `WS_ROOMS_CLIENT_NO_IDENTITY`, and the
   * connection works without an id.
   * @default 5000
   */
  readonly sessionTimeout?: number;
  /**
   * Bounds on the JSON payloads the client accepts from the server, checked before they are parsed;
   * a payload beyond one is dropped and reported to `onError` (`WS_ROOMS_JSON_TOO_DEEP`,
   * `WS_ROOMS_JSON_TOO_LARGE`). Each field is optional and falls back to its default;
   * `Infinity` lifts a bound. Raise them for an app whose server sends larger payloads on purpose.
   * @default DEFAULT_CLIENT_DECODE_LIMITS (depth 256, 1,048,576 values, strings of 16,777,216
   *   characters)
   */
  readonly limits?: ClientDecodeLimits;
  /** The clock (for tests). @default the global timers and `Math.random` */
  readonly timers?: Partial<ClientTimers>;
}

/** Reconnect options with every default applied. */
export type ResolvedReconnectOptions = Required<ReconnectOptions>;

/** Client options with every default applied and checked, as the client uses them. */
export interface ResolvedClientOptions {
  readonly prefix: string;
  readonly autoConnect: boolean;
  readonly protocols: string | string[] | undefined;
  readonly WebSocket: WebSocketConstructorLike;
  /** `null` when reconnection is off. */
  readonly reconnect: ResolvedReconnectOptions | null;
  readonly sendBufferSize: number;
  readonly sendBufferPolicy: SendBufferPolicy;
  readonly requestTimeout: number;
  readonly recovery: boolean;
  readonly identity: boolean;
  readonly sessionTimeout: number;
  readonly limits: Readonly<Required<ClientDecodeLimits>>;
  readonly timers: ClientTimers;
}

/** The reconnect defaults, in one place (they are also written on each option). */
export const DEFAULT_RECONNECT_OPTIONS: Readonly<ResolvedReconnectOptions> = Object.freeze({
  initialDelay: 100,
  maxDelay: 5000,
  factor: 2,
  jitter: true,
  resetAfter: 5000,
  maxFailedAttempts: 20,
  tryAgainLaterDelay: 5000,
  shouldReconnect: defaultShouldReconnect,
});

/** The client defaults other than the WebSocket implementation and the timers. */
export const DEFAULT_CLIENT_OPTIONS = Object.freeze({
  prefix: DEFAULT_PREFIX,
  autoConnect: true,
  sendBufferSize: 100,
  sendBufferPolicy: 'drop-oldest' as SendBufferPolicy,
  requestTimeout: 10_000,
  recovery: false,
  identity: true,
  sessionTimeout: 5000,
});

/** The longest timer delay JavaScript engines honour (2^31 - 1 ms); longer ones fire at once. */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** The global timers, looked up at call time so that a test's fake timers are honoured too. */
const globalTimers: ClientTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  random: () => Math.random(),
};

/**
 * Applies the defaults and rejects invalid or contradictory options up front, with the option named
 * in the message, so that mistakes surface at construction rather than at the first reconnect.
 * @throws WsRoomsClientError `WS_ROOMS_CLIENT_INVALID_OPTION`, `WS_ROOMS_CLIENT_NO_WEBSOCKET`
 */
export function resolveClientOptions(options: WsRoomsClientOptions = {}): ResolvedClientOptions {
  const prefix = options.prefix ?? DEFAULT_CLIENT_OPTIONS.prefix;
  if (typeof prefix !== 'string' || prefix.length === 0)
    invalid('prefix', prefix, 'a non-empty string');
  const sendBufferSize = options.sendBufferSize ?? DEFAULT_CLIENT_OPTIONS.sendBufferSize;
  if (!Number.isInteger(sendBufferSize) || sendBufferSize < 0) {
    invalid('sendBufferSize', sendBufferSize, 'a non-negative integer');
  }
  const sendBufferPolicy = options.sendBufferPolicy ?? DEFAULT_CLIENT_OPTIONS.sendBufferPolicy;
  if (sendBufferPolicy !== 'drop-oldest' && sendBufferPolicy !== 'reject') {
    invalid('sendBufferPolicy', sendBufferPolicy, "'drop-oldest' or 'reject'");
  }
  const requestTimeout = options.requestTimeout ?? DEFAULT_CLIENT_OPTIONS.requestTimeout;
  if (!isRequestTimeout(requestTimeout)) {
    invalid('requestTimeout', requestTimeout, `a number > 0 and <= ${MAX_TIMER_DELAY}`);
  }
  const recovery = options.recovery ?? DEFAULT_CLIENT_OPTIONS.recovery;
  if (typeof recovery !== 'boolean') invalid('recovery', recovery, 'a boolean');
  const identity = options.identity ?? DEFAULT_CLIENT_OPTIONS.identity;
  if (typeof identity !== 'boolean') invalid('identity', identity, 'a boolean');
  const sessionTimeout = options.sessionTimeout ?? DEFAULT_CLIENT_OPTIONS.sessionTimeout;
  if (!isRequestTimeout(sessionTimeout)) {
    invalid('sessionTimeout', sessionTimeout, `a number > 0 and <= ${MAX_TIMER_DELAY}`);
  }
  return {
    prefix,
    autoConnect: options.autoConnect ?? DEFAULT_CLIENT_OPTIONS.autoConnect,
    protocols: options.protocols,
    WebSocket: resolveWebSocket(options.WebSocket),
    reconnect: resolveReconnect(options.reconnect),
    sendBufferSize,
    sendBufferPolicy,
    requestTimeout,
    recovery,
    identity,
    sessionTimeout,
    limits: resolveLimits(options.limits),
    timers: { ...globalTimers, ...options.timers },
  };
}

/** The decode limits with their defaults; each one a non-negative integer or `Infinity`. */
function resolveLimits(
  given: ClientDecodeLimits | undefined,
): Readonly<Required<ClientDecodeLimits>> {
  if (given === undefined) return DEFAULT_CLIENT_DECODE_LIMITS;
  if (typeof given !== 'object' || given === null) invalid('limits', given, 'an object');
  const resolved = { ...DEFAULT_CLIENT_DECODE_LIMITS };
  for (const name of Object.keys(DEFAULT_CLIENT_DECODE_LIMITS) as (keyof ClientDecodeLimits)[]) {
    const value = given[name];
    if (value === undefined) continue;
    if (!(value === Infinity || (Number.isSafeInteger(value) && value >= 0))) {
      invalid(`limits.${name}`, value, 'a non-negative integer or Infinity');
    }
    resolved[name] = value;
  }
  return Object.freeze(resolved);
}

/** A request timeout: a positive number of ms that a timer can wait (see {@link MAX_TIMER_DELAY}). */
export function isRequestTimeout(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_TIMER_DELAY;
}

/**
 * The WebSocket implementation to use: the one given, else `globalThis.WebSocket`.
 * @throws WsRoomsClientError `WS_ROOMS_CLIENT_NO_WEBSOCKET` when there is none.
 */
export function resolveWebSocket(
  given: WebSocketConstructorLike | undefined,
): WebSocketConstructorLike {
  const found = given ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  if (typeof found !== 'function') {
    throw new WsRoomsClientError(
      WsRoomsClientErrorCode.NoWebSocket,
      'No WebSocket implementation: globalThis.WebSocket is not defined. In Node 20, install the ' +
        "`ws` package and pass it: `new WsRoomsClient(url, { WebSocket })` with `import WebSocket from 'ws'`.",
    );
  }
  return found;
}

function resolveReconnect(
  option: boolean | ReconnectOptions | undefined,
): ResolvedReconnectOptions | null {
  if (option === false) return null;
  const given = option === true || option === undefined ? {} : option;
  const resolved: ResolvedReconnectOptions = {
    initialDelay: given.initialDelay ?? DEFAULT_RECONNECT_OPTIONS.initialDelay,
    maxDelay: given.maxDelay ?? DEFAULT_RECONNECT_OPTIONS.maxDelay,
    factor: given.factor ?? DEFAULT_RECONNECT_OPTIONS.factor,
    jitter: given.jitter ?? DEFAULT_RECONNECT_OPTIONS.jitter,
    resetAfter: given.resetAfter ?? DEFAULT_RECONNECT_OPTIONS.resetAfter,
    maxFailedAttempts: given.maxFailedAttempts ?? DEFAULT_RECONNECT_OPTIONS.maxFailedAttempts,
    tryAgainLaterDelay: given.tryAgainLaterDelay ?? DEFAULT_RECONNECT_OPTIONS.tryAgainLaterDelay,
    shouldReconnect: given.shouldReconnect ?? DEFAULT_RECONNECT_OPTIONS.shouldReconnect,
  };
  const { initialDelay, maxDelay, factor, resetAfter, maxFailedAttempts, tryAgainLaterDelay } =
    resolved;
  if (!isFiniteAtLeast(initialDelay, 0))
    invalid('reconnect.initialDelay', initialDelay, 'a finite number >= 0');
  if (!isFiniteAtLeast(maxDelay, 0))
    invalid('reconnect.maxDelay', maxDelay, 'a finite number >= 0');
  if (initialDelay > maxDelay) {
    throw new WsRoomsClientError(
      WsRoomsClientErrorCode.InvalidOption,
      `Invalid option reconnect: initialDelay (${initialDelay}) must not exceed maxDelay (${maxDelay})`,
    );
  }
  if (!isFiniteAtLeast(factor, 1)) invalid('reconnect.factor', factor, 'a finite number >= 1');
  if (!isFiniteAtLeast(resetAfter, 0))
    invalid('reconnect.resetAfter', resetAfter, 'a finite number >= 0');
  if (!isFiniteAtLeast(tryAgainLaterDelay, 0) || tryAgainLaterDelay > (MAX_TIMER_DELAY - 1) / 2) {
    invalid(
      'reconnect.tryAgainLaterDelay',
      tryAgainLaterDelay,
      `a number >= 0 and <= ${(MAX_TIMER_DELAY - 1) / 2}`,
    );
  }
  if (!(
    maxFailedAttempts === Infinity ||
    (Number.isInteger(maxFailedAttempts) && maxFailedAttempts >= 1)
  )) {
    invalid('reconnect.maxFailedAttempts', maxFailedAttempts, 'an integer >= 1 or Infinity');
  }
  if (typeof resolved.shouldReconnect !== 'function') {
    invalid('reconnect.shouldReconnect', resolved.shouldReconnect, 'a function');
  }
  return resolved;
}

function isFiniteAtLeast(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min;
}

function invalid(name: string, value: unknown, expected: string): never {
  const shown =
    typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value));
  throw new WsRoomsClientError(
    WsRoomsClientErrorCode.InvalidOption,
    `Invalid option ${name}: ${shown} (expected ${expected})`,
  );
}
