import { WsRoomsErrorCode } from '../errors/error-codes';
import type { AsyncApiSchema } from './asyncapi-document.types';

/**
 * The error codes that travel on the wire (in `ws-rooms:error`, or in an error reply), with when
 * each is sent: the table of docs/protocol.md, "Errors". Codes that never leave the server
 * (`WS_ROOMS_INVALID_OPTION`, `WS_ROOMS_REQUEST_TIMEOUT`...) are not listed.
 */
export const WIRE_ERROR_CODES: Readonly<Record<string, string>> = Object.freeze({
  [WsRoomsErrorCode.MalformedMessage]:
    'the prefix is present but no ";" follows the event name, the name is empty, or the type digit is missing',
  [WsRoomsErrorCode.EventNameTooLong]: 'the event name is longer than maxEventNameLength bytes',
  [WsRoomsErrorCode.UnknownPayloadType]: 'a type digit other than 0..4',
  [WsRoomsErrorCode.InvalidPayload]: 'the payload does not parse for its type digit',
  [WsRoomsErrorCode.JsonTooDeep]: 'a JSON payload nests deeper than maxJsonDepth',
  [WsRoomsErrorCode.JsonTooLarge]:
    'a JSON payload holds more than maxJsonValues values or a string longer than maxJsonStringLength',
  [WsRoomsErrorCode.PayloadConversion]: "the value cannot become the handler's declared body type",
  [WsRoomsErrorCode.Forbidden]: 'a guard refused, or an HttpException with status 403 (status 403)',
  [WsRoomsErrorCode.BadRequest]:
    "an HttpException (with its status) or a WsException (its payload in details), e.g. a ValidationPipe's messages",
  [WsRoomsErrorCode.HandlerError]:
    'any other error a handler threw; the message is always "Internal server error"',
  [WsRoomsErrorCode.InvalidRoomName]:
    'a join to an empty room name, or to one shaped like a connection id',
  [WsRoomsErrorCode.RoomNameTooLong]: 'a join to a room name longer than maxRoomNameLength bytes',
  [WsRoomsErrorCode.RoomLimit]: 'a join beyond maxRoomsPerConnection',
  [WsRoomsErrorCode.RateLimited]:
    'messages arrive faster than the rate limit allows; the excess is dropped (sent at most once a second)',
  [WsRoomsErrorCode.InvalidReservedMessage]:
    'a ws-rooms:req or ws-rooms:res whose payload is not a valid envelope',
  [WsRoomsErrorCode.NoHandler]: '(in a reply) a request for an event nobody handles, status 404',
  [WsRoomsErrorCode.TooManyPending]:
    'maxPendingHandlers asynchronous handlers of the connection are still running: the event or request was not handled (status 429 in a reply)',
});

/**
 * The schema of an error code: each known code with its meaning, and any other string, because codes
 * may be added and a receiver must accept codes it does not know (modern clients' replies also carry
 * their own codes, e.g. `WS_ROOMS_CLIENT_HANDLER_ERROR`).
 */
export function errorCodeSchema(): AsyncApiSchema {
  return {
    type: 'string',
    description:
      'A stable error code. Receivers must accept codes they do not know: codes may be added.',
    anyOf: [
      ...Object.entries(WIRE_ERROR_CODES).map(([code, when]) => ({
        const: code,
        description: when,
      })),
      { type: 'string', description: 'a code added later, or a client-side code in a reply' },
    ],
    examples: [WsRoomsErrorCode.BadRequest],
  };
}

/** The error object of `ws-rooms:error` and of an error reply, without `event` (`withEvent` adds it). */
export function errorObjectSchema(withEvent: boolean): AsyncApiSchema {
  const properties: Record<string, AsyncApiSchema> = {
    code: { $ref: '#/components/schemas/WsRoomsErrorCode' },
    message: { type: 'string', description: 'for people; not stable' },
  };
  if (withEvent) {
    properties.event = {
      type: 'string',
      description: 'the event of the message that failed, when its name could be read',
    };
  }
  properties.status = { type: 'integer', description: 'an HTTP-like status, when there is one' };
  properties.details = {
    description: "data meant for the client: a validation pipe's messages, a WsException's object",
  };
  return { type: 'object', properties, required: ['code', 'message'] };
}
