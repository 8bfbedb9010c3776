/** What the client knows about a socket that closed, handed to `shouldReconnect`. */
export interface CloseDetails {
  /** The close code (1006 when the connection dropped without a close frame, or never opened). */
  readonly code: number;
  /** The close reason text (often empty). */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
  /** Whether this socket ever reached `open`. */
  readonly opened: boolean;
  /**
   * The HTTP status of a refused handshake. Known only with the Node `ws` package (through its
   * `unexpected-response` event); browsers never expose it.
   */
  readonly handshakeStatus?: number;
}

/**
 * Close code 1013 (Try Again Later): the server is not refusing this client, only asking it to come
 * back later. A ws-rooms server sends it to a connection that keeps flooding after its rate-limit
 * errors (`WS_ROOMS_RATE_LIMITED` through `onServerError`); the client retries after at least the
 * `tryAgainLaterDelay` reconnect option, not after the short backoff delay.
 */
export const TRY_AGAIN_LATER_CLOSE_CODE = 1013;

/**
 * Close codes after which the default policy does not reconnect:
 * - 1000 (normal closure) sent by the server: the server ended the conversation on purpose (its
 *   `disconnect()`), so coming straight back would defeat it. A restarting server sends 1001 instead,
 *   which is retried.
 * - 1003 (unsupported data): the server cannot take what this client sends; a new connection would
 *   get the same answer.
 * - 1008 (policy violation): the server refused this client by policy (origin, authentication, a
 *   slow consumer); retrying automatically is exactly what the policy forbids. A message flood is
 *   closed with 1013 instead (see {@link TRY_AGAIN_LATER_CLOSE_CODE}), which is retried.
 */
export const NO_RETRY_CLOSE_CODES: readonly number[] = [1000, 1003, 1008];

/**
 * Application close codes 4000-4499 mean "do not retry" (like HTTP 4xx: the client is refused,
 * kicked, or its credentials are bad); 4500-4999 mean "retry" (like HTTP 5xx: a transient server
 * condition). Servers built on ws-rooms should pick their own codes in the matching half.
 */
export const NO_RETRY_APPLICATION_CODES = { min: 4000, max: 4499 } as const;

/**
 * Whether an HTTP status that refused the handshake is worth retrying: 408 (request timeout), 429
 * (too many requests) and 5xx are transient; any other status (most importantly 4xx: unauthorised,
 * forbidden origin, no such endpoint; but also a 2xx or 3xx from something that is not a websocket
 * endpoint) will be the same on the next attempt.
 */
export function isRetryableHandshakeStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * The default reconnect decision for an unexpected close (a deliberate `close()` never reaches it).
 * Replace it with the `shouldReconnect` option; a replacement may call this one for the cases it
 * does not care about.
 */
export function defaultShouldReconnect(close: CloseDetails): boolean {
  if (close.handshakeStatus !== undefined) return isRetryableHandshakeStatus(close.handshakeStatus);
  if (NO_RETRY_CLOSE_CODES.includes(close.code)) return false;
  return close.code < NO_RETRY_APPLICATION_CODES.min || close.code > NO_RETRY_APPLICATION_CODES.max;
}
