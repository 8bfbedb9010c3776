/** Stable codes of the errors `ws-rooms/testing` raises; treat them as public API. */
export const WsRoomsTestErrorCode = {
  /** A wait (`connect`, `next`, `emit`, `request`, `close`...) did not end within its timeout. */
  Timeout: 'WS_ROOMS_TEST_TIMEOUT',
  /** The connection closed (and will not come back) while a `next` waited, or before it was called. */
  Closed: 'WS_ROOMS_TEST_CLOSED',
  /** The app has no ws-rooms endpoint of that name, or the endpoint is disabled (`endpoint: ''`). */
  NoEndpoint: 'WS_ROOMS_TEST_NO_ENDPOINT',
  /** The app's HTTP server does not listen on a TCP address (e.g. a Unix socket). */
  NotListening: 'WS_ROOMS_TEST_NOT_LISTENING',
  /** An argument of a testing helper is invalid (e.g. a timeout that is not a positive number). */
  InvalidArgument: 'WS_ROOMS_TEST_INVALID_ARGUMENT',
} as const;

/** One of the values of {@link WsRoomsTestErrorCode}. */
export type WsRoomsTestErrorCode = (typeof WsRoomsTestErrorCode)[keyof typeof WsRoomsTestErrorCode];

/**
 * The error of the testing helpers themselves (a wait that timed out, an app without the endpoint).
 * Errors of the connection under test keep their own types: a refused handshake rejects `connect`
 * with the client's `WsRoomsClientError`, a failed request with `WsRoomsServerError`.
 */
export class WsRoomsTestError extends Error {
  override readonly name = 'WsRoomsTestError';

  constructor(
    /** Stable code, see {@link WsRoomsTestErrorCode}. */
    readonly code: WsRoomsTestErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The longest timer delay JavaScript engines honour. */
const MAX_TIMEOUT = 2_147_483_647;

/**
 * Checks a timeout given to a testing helper.
 * @throws WsRoomsTestError `WS_ROOMS_TEST_INVALID_ARGUMENT`
 */
export function assertTimeout(timeout: unknown, name: string): asserts timeout is number {
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > MAX_TIMEOUT) {
    throw new WsRoomsTestError(
      WsRoomsTestErrorCode.InvalidArgument,
      `Invalid ${name} ${String(timeout)}: use a number > 0 and <= ${MAX_TIMEOUT}`,
    );
  }
}

/**
 * Settles with `promise`, or rejects with a `WS_ROOMS_TEST_TIMEOUT` error naming `what` after `ms`.
 * The timer does not keep the process alive and is cleared as soon as the promise settles.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new WsRoomsTestError(WsRoomsTestErrorCode.Timeout, `${what}: no answer within ${ms} ms`),
        ),
      ms,
    );
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
