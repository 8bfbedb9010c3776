import { ReservedEvent } from '../protocol/protocol.constants';
import type { ClientDecodedValue } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode, WsRoomsServerError } from './client-errors';
import type { ClientTimers } from './client-options';
import { ListenerRegistry } from './listener-registry';

/**
 * Where the client's troubles go, so that none escapes from a socket callback: its own errors to
 * the `onError` listeners, the errors the server reports (`ws-rooms:error`) to the `onServerError`
 * listeners, and an application listener's exception either to `onError` (as
 * `WS_ROOMS_CLIENT_HANDLER_ERROR`) or, when nobody listens, rethrown outside the callback.
 */
export class ErrorReporter {
  /** The `onError` listeners. */
  readonly errors = new ListenerRegistry<[WsRoomsClientError]>();
  /** The `onServerError` listeners. */
  readonly serverErrors = new ListenerRegistry<[WsRoomsServerError]>();
  /** What every listener registry of the client calls when a listener throws. */
  readonly listenerFailed = (error: unknown): void => {
    if (this.errors.size === 0) {
      this.rethrowAsync(error);
      return;
    }
    this.report(
      new WsRoomsClientError(
        WsRoomsClientErrorCode.HandlerError,
        `A listener threw: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      ),
    );
  };

  constructor(private readonly timers: Pick<ClientTimers, 'setTimeout'>) {}

  /** Tells the `onError` listeners; dropped without any. */
  report(error: WsRoomsClientError): void {
    this.errors.emit((thrown) => this.rethrowAsync(thrown), error);
  }

  /** A reserved event whose payload is not what it should be. */
  invalidReserved(event: string, expected: string): void {
    this.report(
      new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidPayload,
        `"${event}" payload is not ${expected}`,
        { event },
      ),
    );
  }

  /** The server's `ws-rooms:error` about a message of this client. */
  serverError(value: ClientDecodedValue): void {
    const error = WsRoomsServerError.fromWire(value);
    if (error === undefined) {
      this.invalidReserved(ReservedEvent.Error, '{ code, message }');
      return;
    }
    this.serverErrors.emit(this.listenerFailed, error);
  }

  /** Surfaces an application bug as an uncaught exception, outside the socket callback that met it. */
  private rethrowAsync(error: unknown): void {
    this.timers.setTimeout(() => {
      throw error;
    }, 0);
  }
}
