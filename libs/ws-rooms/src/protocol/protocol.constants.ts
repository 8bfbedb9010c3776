/** The event-message prefix of Iris v6.2 and later, the default. */
export const DEFAULT_PREFIX = 'iris-websocket-message:';

/** The event-message prefix of Iris v6.0–6.1 (`go-websocket`), for old pages. */
export const LEGACY_PREFIX = 'go-websocket-message:';

/** The type digit of an event message (docs/protocol.md, "Message grammar"). */
export const PayloadType = {
  String: 0,
  Int: 1,
  Bool: 2,
  Bytes: 3,
  Json: 4,
} as const;

/** One of the values of {@link PayloadType}. */
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];

/**
 * Event names starting with this are reserved for ws-rooms' own extensions of the protocol
 * (errors, acknowledgements, recovery). Gateways may not declare handlers for them; the original
 * Iris client ignores them because it has no handler for them.
 */
export const RESERVED_EVENT_PREFIX = 'ws-rooms:';

/** The reserved events ws-rooms sends or understands. */
export const ReservedEvent = {
  /** Server to client: `{ code, message, event? }` (JSON) when a message of this client failed. */
  Error: 'ws-rooms:error',
  /** Client to server: a request expecting a reply (reserved for acknowledgements). */
  Request: 'ws-rooms:req',
  /** Either direction: the reply to a request (reserved for acknowledgements). */
  Reply: 'ws-rooms:res',
  /** Client to server: resume a previous session (reserved for recovery). */
  Recover: 'ws-rooms:recover',
  /**
   * Server to client: presence of a tracked room, JSON `{ room, joined: { id, meta }, version }`,
   * `{ room, left: { id }, version }`, or to a joiner `{ room, members: [{ id, meta }], version }`
   * (to a leaver, an empty `members` list). `version` numbers the room's changes cluster-wide.
   */
  Presence: 'ws-rooms:presence',
  /**
   * Server to a client that opted in to recovery, first message of the connection: JSON
   * `{ id, token, offset?, recovered, reason? }`.
   */
  Session: 'ws-rooms:session',
  /**
   * Server to a client that asked for its id (`ws-rooms-identity=1` in the upgrade URL, see
   * {@link IDENTITY_QUERY_PARAMETER}), first message of the connection: JSON `{ id }`.
   */
  Identity: 'ws-rooms:identity',
  /**
   * Server to a client that opted in to recovery: a room broadcast with its offset, type 0, payload
   * `<offset>;<the original message, bytes unchanged>`.
   */
  Message: 'ws-rooms:m',
} as const;

/**
 * The query parameter of the upgrade URL with which a client asks for its connection id:
 * `ws-rooms-identity=1` makes `ws-rooms:identity` the connection's first message. Opt-in, so that
 * the original Iris client, which never asks, never receives it.
 */
export const IDENTITY_QUERY_PARAMETER = 'ws-rooms-identity';

/** One of the values of {@link ReservedEvent}. */
export type ReservedEvent = (typeof ReservedEvent)[keyof typeof ReservedEvent];

/** Iris' marker for "every connection except the sender" (`NotMe`, also called `Broadcast`). */
export const IRIS_NOT_ME_MARKER = ';gowebsocket;to;all;except;me;';

/** Iris' marker for "every connection" (`All`). */
export const IRIS_ALL_MARKER = '';
