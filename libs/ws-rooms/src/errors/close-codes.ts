/** Websocket close codes (RFC 6455 section 7.4.1 and the IANA registry) that ws-rooms sends. */
export const CloseCode = {
  /** The purpose of the connection is fulfilled (an ordinary `disconnect()`). */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** The peer broke the websocket protocol. */
  ProtocolError: 1002,
  /** A text message was not valid UTF-8. */
  InvalidPayload: 1007,
  /** A policy was violated (a slow consumer, a message in too many fragments). */
  PolicyViolation: 1008,
  /** An inbound message was larger than `maxMessageSize`. */
  MessageTooBig: 1009,
  /** The server met an unexpected condition (e.g. a connection hook threw). */
  InternalError: 1011,
  /** Try again later: sent to a client that floods on a whole burst past the message rate. */
  TryAgainLater: 1013,
} as const;

/** One of the values of {@link CloseCode}. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
