import { WsRoomsErrorCode } from './error-codes';
import { WsRoomsError } from './ws-rooms.error';

/** The HTTP status of a Nest `HttpException` (or anything with `getStatus()`), else undefined. */
export function httpStatusOf(error: unknown): number | undefined {
  const getStatus = (error as { getStatus?: unknown } | null)?.getStatus;
  return typeof getStatus === 'function' ? (getStatus.call(error) as number) : undefined;
}

/** True when the error is one the server did not expect: its text is for logs, not for clients. */
export function isUnexpectedError(error: unknown): boolean {
  if (error instanceof WsRoomsError || httpStatusOf(error) !== undefined) return false;
  return typeof (error as { getError?: unknown } | null)?.getError !== 'function';
}

/** Maps whatever a handler, guard or pipe threw to the typed error sent to the client. */
export function toWsRoomsError(error: unknown): WsRoomsError {
  if (error instanceof WsRoomsError) return error;
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const response = (error as { getResponse(): unknown }).getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: unknown }).message
        : (error as Error).message;
    const code = status === 403 ? WsRoomsErrorCode.Forbidden : WsRoomsErrorCode.BadRequest;
    const result = new WsRoomsError(
      code,
      Array.isArray(message) ? message.join('; ') : String(message),
    );
    if (Array.isArray(message)) Object.assign(result, { details: message });
    return result;
  }
  const wsError = (error as { getError?: unknown } | null)?.getError;
  if (typeof wsError === 'function') {
    // Nest's WsException: its payload is meant for the client.
    const payload = wsError.call(error) as unknown;
    const message = typeof payload === 'string' ? payload : (error as Error).message;
    const result = new WsRoomsError(WsRoomsErrorCode.BadRequest, message);
    if (typeof payload === 'object' && payload !== null)
      Object.assign(result, { details: payload });
    return result;
  }
  // An unexpected error: its text may hold internals, so the client gets a generic message.
  return new WsRoomsError(WsRoomsErrorCode.HandlerError, 'Internal server error');
}
