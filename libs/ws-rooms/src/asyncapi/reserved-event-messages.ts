import { PayloadType, ReservedEvent } from '../protocol/protocol.constants';
import type { AsyncApiMessage, AsyncApiSchema } from './asyncapi-document.types';
import {
  errorReplySchema,
  eventMessage,
  replyEnvelopeSchema,
  replyMessage,
  requestEnvelopeSchema,
  requestMessage,
} from './event-messages';
import { JSON_FRAME } from './iris-frame';

/** Which optional features of the endpoint send reserved events. */
export interface ReservedFeatures {
  readonly prefix: string;
  /** The `presence` option is on: `ws-rooms:presence` is sent. */
  readonly presence: boolean;
  /** The `recovery` option is on: `ws-rooms:session` and `ws-rooms:m` are sent to opted-in clients. */
  readonly recovery: boolean;
  /** The events gateways handle: a request for any other is answered `WS_ROOMS_NO_HANDLER`. */
  readonly handled: readonly string[];
  /** The server-to-client requests declared in `asyncapi.requestsToClient`. */
  readonly declaredRequests: readonly string[];
}

/** The channel message keys of the reserved events. */
export const RESERVED_MESSAGE_KEYS = {
  error: 'ws-rooms.error',
  presence: 'ws-rooms.presence',
  session: 'ws-rooms.session',
  identity: 'ws-rooms.identity',
  message: 'ws-rooms.m',
  requestToServer: 'ws-rooms.req.toServer',
  errorReplyToClient: 'ws-rooms.res.errorToClient',
  requestToClient: 'ws-rooms.req.toClient',
  replyToServer: 'ws-rooms.res.toServer',
  errorReplyToServer: 'ws-rooms.res.errorToServer',
} as const;

const ID: AsyncApiSchema = { type: 'string', description: 'a connection id' };
const META: AsyncApiSchema = {
  type: 'object',
  description: "what the endpoint's presence.metadata function returned for the member",
};
const VERSION: AsyncApiSchema = {
  type: 'integer',
  description:
    "numbers the room's changes (across every node with Redis); a change at or below the version of a list already held is part of it",
};

/** Reasons a resume fails (`ws-rooms:session`'s `reason`). */
const RECOVERY_FAILURES = [
  'unknown-session',
  'expired',
  'history-gone',
  'invalid-offset',
  'id-in-use',
  'store-unavailable',
];

function disabled(enabled: boolean, option: string): string {
  return enabled ? '' : ` This endpoint does not send it: its "${option}" option is off.`;
}

/**
 * Every reserved `ws-rooms:*` event, as channel messages by key: errors, requests and replies in
 * both directions (those the per-event messages do not cover), presence, the identity, recovery's
 * session and numbered messages. Present whether or not the endpoint's options send them
 * (`x-ws-rooms-enabled` says); all are JSON (digit 4) but `ws-rooms:m` (digit 0).
 */
export function reservedMessages(features: ReservedFeatures): Record<string, AsyncApiMessage> {
  const { prefix } = features;
  return {
    [RESERVED_MESSAGE_KEYS.error]: eventMessage({
      prefix,
      event: ReservedEvent.Error,
      title: 'Error',
      summary: 'A message of this client failed; the connection stays open.',
      description:
        'Sent to the client whose message was malformed, refused by a guard, or whose handler threw. A failed request gets an error reply (ws-rooms:res) instead.',
      frame: JSON_FRAME,
      payload: { $ref: '#/components/schemas/WsRoomsError' },
    }),
    [RESERVED_MESSAGE_KEYS.presence]: eventMessage({
      prefix,
      event: ReservedEvent.Presence,
      title: 'Presence',
      summary: 'Who is in a presence-tracked room.' + disabled(features.presence, 'presence'),
      description:
        'A joiner gets the list once ({ room, members, version }); the other members get { room, joined, version }; when a member leaves or disconnects the others get { room, left, version }; a connection that leaves while open gets { room, members: [] } without a version.',
      frame: JSON_FRAME,
      payload: {
        oneOf: [
          object({ room: { type: 'string' }, members: members(), version: VERSION }, [
            'room',
            'members',
          ]),
          object(
            {
              room: { type: 'string' },
              joined: object({ id: ID, meta: META }, ['id', 'meta']),
              version: VERSION,
            },
            ['room', 'joined', 'version'],
          ),
          object({ room: { type: 'string' }, left: object({ id: ID }, ['id']), version: VERSION }, [
            'room',
            'left',
            'version',
          ]),
        ],
      },
      extensions: { 'x-ws-rooms-enabled': features.presence },
    }),
    [RESERVED_MESSAGE_KEYS.session]: eventMessage({
      prefix,
      event: ReservedEvent.Session,
      title: 'Session',
      summary:
        'The first message of a connection that asked for recovery (ws-rooms-recovery=1).' +
        disabled(features.recovery, 'recovery'),
      description:
        'A fresh session: { id, token, offset, recovered: false }; a failed resume adds "reason"; a resumed session: { id, token, recovered: true }, followed at once by the missed broadcasts.',
      frame: JSON_FRAME,
      payload: object(
        {
          id: ID,
          token: { type: 'string', description: 'resumes the session (ws-rooms-session=<token>)' },
          offset: {
            type: 'integer',
            minimum: 0,
            description: "the log's head, from which the client counts ws-rooms:m offsets",
          },
          recovered: { type: 'boolean' },
          reason: { type: 'string', enum: RECOVERY_FAILURES, description: 'why a resume failed' },
        },
        ['id', 'token', 'recovered'],
      ),
      extensions: { 'x-ws-rooms-enabled': features.recovery },
    }),
    [RESERVED_MESSAGE_KEYS.identity]: eventMessage({
      prefix,
      event: ReservedEvent.Identity,
      title: 'Identity',
      summary: 'The first message of a connection that asked for its id (ws-rooms-identity=1).',
      description:
        'Sent to a client that put ws-rooms-identity=1 in the upgrade URL, before anything the connection hooks send: { id }, the connection id (also the name of the room that reaches only this connection). The modern client asks when its recovery is off; clients that do not ask (the original Iris script) never receive it.',
      frame: JSON_FRAME,
      payload: object({ id: ID }, ['id']),
      extensions: { 'x-ws-rooms-enabled': true },
    }),
    [RESERVED_MESSAGE_KEYS.message]: eventMessage({
      prefix,
      event: ReservedEvent.Message,
      title: 'Numbered broadcast',
      summary:
        'A room broadcast with its recovery offset, to clients that asked for recovery.' +
        disabled(features.recovery, 'recovery'),
      description:
        'Type digit 0; the payload is `<offset>;<original message>`: the offset (positive, increasing by one), ";", then the original event or native message byte for byte (prefix included), in a binary frame when it was binary. The client unwraps it and handles the inner message as if it had arrived alone.',
      frame: { digits: [PayloadType.String], usual: PayloadType.String },
      payload: {
        type: 'string',
        pattern: '^[1-9][0-9]*;',
        description: '<offset>;<original message>',
      },
      extensions: { 'x-ws-rooms-enabled': features.recovery },
    }),
    [RESERVED_MESSAGE_KEYS.requestToServer]: requestMessage(
      prefix,
      'Request for an event without a handler',
      'A request whose event no gateway handles: the reply is the error WS_ROOMS_NO_HANDLER (status 404).',
      requestEnvelopeSchema({ excluded: features.handled }, {}),
    ),
    [RESERVED_MESSAGE_KEYS.errorReplyToClient]: replyMessage(
      prefix,
      'Error reply',
      'A request of the client failed: the handler threw, a guard refused, or nobody handles its event. The code is the one the error maps to (see WsRoomsErrorCode).',
      errorReplySchema(),
    ),
    [RESERVED_MESSAGE_KEYS.requestToClient]: requestMessage(
      prefix,
      'Request to the client',
      'A request the application sends with connection.request() or to(room).request(); the modern client answers with its onRequest handler (WS_ROOMS_NO_HANDLER without one). Declare requests in asyncapi.requestsToClient to give their value and reply types.',
      requestEnvelopeSchema({ excluded: features.declaredRequests }, {}),
    ),
    [RESERVED_MESSAGE_KEYS.replyToServer]: replyMessage(
      prefix,
      "Client's reply",
      "The client's answer to a request of the server.",
      replyEnvelopeSchema({}),
    ),
    [RESERVED_MESSAGE_KEYS.errorReplyToServer]: replyMessage(
      prefix,
      "Client's error reply",
      "The client could not answer: WS_ROOMS_NO_HANDLER (no onRequest handler), the error's own string code, or WS_ROOMS_CLIENT_HANDLER_ERROR.",
      errorReplySchema(),
    ),
  };
}

function object(
  properties: Readonly<Record<string, AsyncApiSchema>>,
  required: readonly string[],
): AsyncApiSchema {
  return { type: 'object', properties, required };
}

function members(): AsyncApiSchema {
  return { type: 'array', items: object({ id: ID, meta: META }, ['id', 'meta']) };
}
