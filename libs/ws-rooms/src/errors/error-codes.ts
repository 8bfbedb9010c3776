/**
 * Stable error codes of ws-rooms. They travel on the wire in the `ws-rooms:error` event and are the
 * `code` of every {@link WsRoomsError}; treat them as part of the public API.
 */
export const WsRoomsErrorCode = {
  /** An event message whose header is cut short (no `;` after the event name, or no type digit). */
  MalformedMessage: 'WS_ROOMS_MALFORMED_MESSAGE',
  /** The type digit is not one of `0`..`4`. */
  UnknownPayloadType: 'WS_ROOMS_UNKNOWN_PAYLOAD_TYPE',
  /** The payload does not parse for its type digit (e.g. `abc` with type `1`). */
  InvalidPayload: 'WS_ROOMS_INVALID_PAYLOAD',
  /** The payload cannot be converted to the type the handler declares for its body. */
  PayloadConversion: 'WS_ROOMS_PAYLOAD_CONVERSION',
  /** A handler threw an error that no exception filter turned into a response. */
  HandlerError: 'WS_ROOMS_HANDLER_ERROR',
  /** A guard refused the message. */
  Forbidden: 'WS_ROOMS_FORBIDDEN',
  /** An HttpException or WsException thrown by a handler, pipe or guard. */
  BadRequest: 'WS_ROOMS_BAD_REQUEST',
  /** An inbound message is larger than `maxMessageSize`. */
  MessageTooLarge: 'WS_ROOMS_MESSAGE_TOO_LARGE',
  /** The connection's send queue exceeded `maxBufferedBytes` or did not drain within `writeTimeout`. */
  SlowConsumer: 'WS_ROOMS_SLOW_CONSUMER',
  /** No pong arrived within `pongTimeout`. */
  PongTimeout: 'WS_ROOMS_PONG_TIMEOUT',
  /** A send was attempted on a connection that is closing or closed. */
  ConnectionClosed: 'WS_ROOMS_CONNECTION_CLOSED',
  /** A module option is invalid (raised once, at start-up). */
  InvalidOption: 'WS_ROOMS_INVALID_OPTION',
  /** A gateway or handler is declared in a way ws-rooms cannot serve (raised at start-up). */
  InvalidGateway: 'WS_ROOMS_INVALID_GATEWAY',
  /** No connection has the given id (on this node). */
  UnknownConnection: 'WS_ROOMS_UNKNOWN_CONNECTION',
  /** An event name that is empty, contains `;` or is reserved by ws-rooms. */
  InvalidEventName: 'WS_ROOMS_INVALID_EVENT_NAME',
  /** A room name that is empty, not a string, or shaped like a connection id (ids are not rooms). */
  InvalidRoomName: 'WS_ROOMS_INVALID_ROOM_NAME',
  /** A join beyond `maxRoomsPerConnection`. */
  RoomLimit: 'WS_ROOMS_ROOM_LIMIT',
  /** An event name longer than `maxEventNameLength`. */
  EventNameTooLong: 'WS_ROOMS_EVENT_NAME_TOO_LONG',
  /** A JSON payload nested deeper than `maxJsonDepth`. */
  JsonTooDeep: 'WS_ROOMS_JSON_TOO_DEEP',
  /** A JSON payload with more values than `maxJsonValues` or a string longer than `maxJsonStringLength`. */
  JsonTooLarge: 'WS_ROOMS_JSON_TOO_LARGE',
  /** A room name longer than `maxRoomNameLength` bytes. */
  RoomNameTooLong: 'WS_ROOMS_ROOM_NAME_TOO_LONG',
  /**
   * A connection sent more messages than `maxMessageRate` / `maxMessageBurst` allow: the excess is
   * dropped (told once a second); one that floods on a whole burst past them is closed with 1013.
   */
  RateLimited: 'WS_ROOMS_RATE_LIMITED',
  /** A request named an event that has no handler on the other side. */
  NoHandler: 'WS_ROOMS_NO_HANDLER',
  /** A request got no reply within its timeout. */
  RequestTimeout: 'WS_ROOMS_REQUEST_TIMEOUT',
  /** A request could not complete because the connection closed first. */
  RequestAborted: 'WS_ROOMS_REQUEST_ABORTED',
  /** A reserved `ws-rooms:*` message whose payload is not what the protocol extension expects. */
  InvalidReservedMessage: 'WS_ROOMS_INVALID_RESERVED_MESSAGE',
  /**
   * A message (event or request) refused because `maxPendingHandlers` asynchronous handlers of its
   * connection are still running; sent to the client, which may send it again later.
   */
  TooManyPending: 'WS_ROOMS_TOO_MANY_PENDING',
  /**
   * A server-to-client request refused at once because `maxPendingRequests` requests to that
   * connection are still waiting for their replies (never sent on the wire).
   */
  RequestLimit: 'WS_ROOMS_REQUEST_LIMIT',
} as const;

/** One of the values of {@link WsRoomsErrorCode}. */
export type WsRoomsErrorCode = (typeof WsRoomsErrorCode)[keyof typeof WsRoomsErrorCode];
