import { WsRoomsErrorCode } from '../errors/error-codes';
import { ReservedEvent } from '../protocol/protocol.constants';
import type { ClientCodec, ClientDecodedValue } from './client-codec';
import { WsRoomsClientErrorCode } from './client-errors';
import type { RequestHandlerRegistry } from './request-handlers';
import { errorReplyPayload, parseRequestEnvelope } from './request-envelope';
import type { SocketData } from './websocket-like';

/**
 * Answers the server's requests (`ws-rooms:req`, from `connection.request()` and
 * `to(room).request()`): reads the envelope, runs the registered handler and encodes its reply
 * (`ws-rooms:res`). Where the reply goes, and whether the connection is still there to take it, is
 * the caller's business: it passes a `reply` function per request.
 */
export class ServerRequestResponder {
  constructor(
    private readonly handlers: RequestHandlerRegistry,
    private readonly codec: ClientCodec,
  ) {}

  /**
   * Answers one request payload. `reply` is called once, with the encoded reply, possibly later (a
   * handler may be asynchronous). An envelope with an id but no valid event is answered with an
   * error reply.
   * @returns false when the payload is not a request envelope at all (nothing can be answered).
   */
  respond(value: ClientDecodedValue, reply: (data: SocketData) => void): boolean {
    const request = parseRequestEnvelope(value);
    if (request === undefined) return false;
    if ('invalid' in request) {
      reply(
        this.encode(
          request.id,
          errorReplyPayload(request.id, {
            code: WsRoomsErrorCode.InvalidReservedMessage,
            message: request.invalid,
          }),
        ),
      );
      return true;
    }
    void this.handlers.answer(request).then((payload) => reply(this.encode(request.id, payload)));
    return true;
  }

  /** The reply frame; a reply JSON cannot encode becomes an error reply instead. */
  private encode(id: number, payload: Record<string, unknown>): SocketData {
    try {
      return this.codec.encode(ReservedEvent.Reply, payload);
    } catch (error) {
      return this.codec.encode(
        ReservedEvent.Reply,
        errorReplyPayload(id, {
          code: WsRoomsClientErrorCode.InvalidPayload,
          message: `the reply cannot be encoded as JSON (${(error as Error)?.message})`,
        }),
      );
    }
  }
}
