import type {
  AsyncApiChannel,
  AsyncApiMessage,
  AsyncApiOperation,
  AsyncApiReference,
  AsyncApiSchema,
} from './asyncapi-document.types';
import type { AsyncApiPayload, AsyncApiRequestDeclaration } from './asyncapi-options';
import {
  described,
  eventMessage,
  replyEnvelopeSchema,
  replyMessage,
  requestEnvelopeSchema,
  requestMessage,
} from './event-messages';
import type { BodyDeclaration, DescribedHandler } from './gateway-handlers';
import { frameDescription, inboundFrame, outboundFrame } from './iris-frame';
import { RESERVED_MESSAGE_KEYS, reservedMessages } from './reserved-event-messages';
import { isDescribableType, type SchemaRegistry } from './schema-registry';

/** One endpoint, as the document describes it. */
export interface EndpointDescription {
  /** The endpoint's key in `servers` and `channels` (letters, digits, `_.-`), unique in the document. */
  readonly key: string;
  readonly name: string;
  /** The upgrade path: the channel's address. */
  readonly path: string;
  readonly prefix: string;
  readonly presence: boolean;
  readonly recovery: boolean;
  readonly handlers: readonly DescribedHandler[];
  readonly serverEvents: Readonly<Record<string, AsyncApiPayload>>;
  readonly requestsToClient: Readonly<Record<string, AsyncApiRequestDeclaration>>;
}

/** An endpoint's channel and the operations on it. */
export interface EndpointChannel {
  readonly channel: AsyncApiChannel;
  readonly operations: Record<string, AsyncApiOperation>;
}

/** The handlers of one event: the first one's body and return value are the event's. */
interface HandledEvent {
  readonly handlers: DescribedHandler[];
}

/**
 * Describes one endpoint as one channel (the websocket connection, at the endpoint's path) with
 * every message that travels on it, and the operations, from the server's point of view: `receive`
 * for what clients send (each handled event, each request), `send` for what the server sends (a
 * handler's declared return value, `asyncapi.serverEvents`, requests to clients, reserved events).
 */
export function describeEndpointChannel(
  endpoint: EndpointDescription,
  schemas: SchemaRegistry,
): EndpointChannel {
  const { key, prefix } = endpoint;
  const channelRef: AsyncApiReference = { $ref: `#/channels/${key}` };
  const messages: Record<string, AsyncApiMessage> = {};
  const operations: Record<string, AsyncApiOperation> = {};
  const eventKeys = new EventKeys();
  const ref = (messageKey: string): AsyncApiReference => ({
    $ref: `#/channels/${key}/messages/${messageKey}`,
  });

  const events = new Map<string, HandledEvent>();
  for (const handler of endpoint.handlers) {
    for (const event of handler.events) {
      const entry = events.get(event) ?? { handlers: [] };
      entry.handlers.push(handler);
      events.set(event, entry);
    }
  }

  for (const [event, { handlers }] of events) {
    const id = eventKeys.of(event);
    const [first] = handlers;
    const where = handlers.map((handler) => handler.where);
    const body = bodySchema(first.body, schemas);
    const several =
      handlers.length > 1
        ? ` Several handlers run (${where.join(', ')}); a request is answered by the first.`
        : '';
    messages[`toServer.${id}`] = eventMessage({
      prefix,
      event,
      title: event,
      summary: `Handled by ${where.join(', ')}.`,
      description: body.description + several,
      frame: inboundFrame(first.body.kind === 'whole' ? first.body.type : undefined),
      payload: body.schema,
      extensions: { 'x-ws-rooms-handlers': where },
    });
    const returns = isDescribableType(first.returns) ? first.returns : undefined;
    if (returns !== undefined) {
      messages[`toClient.${id}`] = eventMessage({
        prefix,
        event,
        title: `${event} (return value)`,
        summary: `The return value of ${first.where}, sent back to the sender as the same event.`,
        description: 'null and undefined send nothing.',
        frame: outboundFrame(returns),
        payload: schemas.schemaOf(returns),
      });
    }
    operations[`${key}.receive.${id}`] = {
      action: 'receive',
      channel: channelRef,
      title: `Receive "${event}"`,
      summary: `Clients emit "${event}".`,
      messages: [ref(`toServer.${id}`)],
      ...(returns === undefined
        ? {}
        : { reply: { channel: channelRef, messages: [ref(`toClient.${id}`)] } }),
    };
    const replyValue =
      returns === undefined
        ? described(
            {},
            "the handler's return value (its type is not declared: a promise, an observable's last value or no return type); null when it returns nothing",
          )
        : schemas.schemaOf(returns);
    messages[`requestToServer.${id}`] = requestMessage(
      prefix,
      `Request "${event}"`,
      `client.request("${event}", value): the value is the handler's body.`,
      requestEnvelopeSchema(event, body.schema),
    );
    messages[`replyToClient.${id}`] = replyMessage(
      prefix,
      `Reply to "${event}"`,
      `The return value of ${first.where}.`,
      replyEnvelopeSchema(replyValue),
    );
    operations[`${key}.request.${id}`] = {
      action: 'receive',
      channel: channelRef,
      title: `Request "${event}"`,
      summary: `Clients request "${event}" and get the handler's return value.`,
      messages: [ref(`requestToServer.${id}`)],
      reply: {
        channel: channelRef,
        messages: [ref(`replyToClient.${id}`), ref(RESERVED_MESSAGE_KEYS.errorReplyToClient)],
      },
    };
  }

  for (const [event, type] of Object.entries(endpoint.serverEvents)) {
    const id = eventKeys.of(event);
    messages[`toClient.${id}`] = eventMessage({
      prefix,
      event,
      title: event,
      summary: 'Declared in asyncapi.serverEvents.',
      frame: outboundFrame(type),
      payload: schemas.schemaOf(type),
    });
    operations[`${key}.send.${id}`] = {
      action: 'send',
      channel: channelRef,
      title: `Send "${event}"`,
      summary: `The server emits "${event}".`,
      messages: [ref(`toClient.${id}`)],
    };
  }

  for (const [event, request] of Object.entries(endpoint.requestsToClient)) {
    const id = eventKeys.of(event);
    messages[`requestToClient.${id}`] = requestMessage(
      prefix,
      `Request "${event}" to the client`,
      request.description ?? `connection.request("${event}", value).`,
      requestEnvelopeSchema(event, schemas.schemaOf(request.value)),
    );
    messages[`replyToServer.${id}`] = replyMessage(
      prefix,
      `Client's reply to "${event}"`,
      "The value the client's onRequest handler returned.",
      replyEnvelopeSchema(schemas.schemaOf(request.reply)),
    );
    operations[`${key}.requestToClient.${id}`] = {
      action: 'send',
      channel: channelRef,
      title: `Request "${event}" to the client`,
      ...(request.description === undefined ? {} : { description: request.description }),
      messages: [ref(`requestToClient.${id}`)],
      reply: {
        channel: channelRef,
        messages: [ref(`replyToServer.${id}`), ref(RESERVED_MESSAGE_KEYS.errorReplyToServer)],
      },
    };
  }

  Object.assign(
    messages,
    reservedMessages({
      prefix,
      presence: endpoint.presence,
      recovery: endpoint.recovery,
      handled: [...events.keys()],
      declaredRequests: Object.keys(endpoint.requestsToClient),
    }),
  );
  const send = (name: string, messageKey: string, summary: string): void => {
    operations[`${key}.${name}`] = {
      action: 'send',
      channel: channelRef,
      summary,
      messages: [ref(messageKey)],
    };
  };
  send('error', RESERVED_MESSAGE_KEYS.error, 'The server reports a failed message to its sender.');
  send('identity', RESERVED_MESSAGE_KEYS.identity, 'The server tells a client that asks its id.');
  if (endpoint.presence) {
    send('presence', RESERVED_MESSAGE_KEYS.presence, 'The server tells members who is in a room.');
  }
  if (endpoint.recovery) {
    send('session', RESERVED_MESSAGE_KEYS.session, 'The server opens or resumes a session.');
    send('m', RESERVED_MESSAGE_KEYS.message, 'The server sends a numbered room broadcast.');
  }
  operations[`${key}.request`] = {
    action: 'receive',
    channel: channelRef,
    summary: 'Clients request an event no gateway handles.',
    messages: [ref(RESERVED_MESSAGE_KEYS.requestToServer)],
    reply: { channel: channelRef, messages: [ref(RESERVED_MESSAGE_KEYS.errorReplyToClient)] },
  };
  operations[`${key}.requestToClient`] = {
    action: 'send',
    channel: channelRef,
    summary: 'The server requests something of a client (connection.request).',
    messages: [ref(RESERVED_MESSAGE_KEYS.requestToClient)],
    reply: {
      channel: channelRef,
      messages: [
        ref(RESERVED_MESSAGE_KEYS.replyToServer),
        ref(RESERVED_MESSAGE_KEYS.errorReplyToServer),
      ],
    },
  };

  const natives = endpoint.handlers.filter((handler) => handler.native);
  if (natives.length > 0) {
    messages.native = nativeMessage(natives);
    operations[`${key}.native`] = {
      action: 'receive',
      channel: channelRef,
      summary: 'Clients send native messages (without the prefix).',
      messages: [ref('native')],
    };
  }

  return {
    channel: {
      address: endpoint.path,
      title: `Endpoint "${endpoint.name}"`,
      description:
        `The websocket connection of the endpoint "${endpoint.name}", opened by an HTTP upgrade (GET) ` +
        `at ${endpoint.path}. ${frameDescription(prefix)}`,
      servers: [{ $ref: `#/servers/${key}` }],
      messages,
      bindings: {
        ws: {
          method: 'GET',
          query: upgradeQuery(endpoint.recovery),
          bindingVersion: '0.1.0',
        },
      },
      'x-ws-rooms-endpoint': endpoint.name,
      'x-ws-rooms-prefix': prefix,
    },
    operations,
  };
}

/** The payload schema of a handler's body, and what it means. */
function bodySchema(
  body: BodyDeclaration,
  schemas: SchemaRegistry,
): { schema: AsyncApiSchema; description: string } {
  switch (body.kind) {
    case 'none':
      return {
        schema: {},
        description: 'The handler does not read the payload (no @MessageBody()).',
      };
    case 'whole': {
      const schema = schemas.schemaOf(body.type);
      const known = typeof body.type === 'function' && body.type !== Object;
      return {
        schema,
        description: known
          ? "The payload is converted to the handler's declared @MessageBody() type."
          : 'The @MessageBody() type is not known at run time (an interface, a union, any): any value.',
      };
    }
    case 'properties': {
      const properties: Record<string, AsyncApiSchema> = {};
      for (const { name, type } of body.properties) properties[name] = schemas.schemaOf(type);
      return {
        schema: { type: 'object', properties },
        description: `A JSON object; the handler reads ${body.properties.map(({ name }) => `"${name}"`).join(', ')} (@MessageBody(property)).`,
      };
    }
  }
}

function nativeMessage(natives: readonly DescribedHandler[]): AsyncApiMessage {
  const text = natives.every(
    (handler) => handler.body.kind === 'whole' && handler.body.type === String,
  );
  return {
    name: 'native',
    title: 'Native message',
    summary: `Handled by ${natives.map((handler) => handler.where).join(', ')}.`,
    description:
      'Any websocket message that does not start with the prefix, delivered whole and unparsed: no event name, no type digit, no reply.',
    contentType: text ? 'text/plain' : 'application/octet-stream',
    payload: text ? { type: 'string' } : { type: 'string', format: 'binary' },
  };
}

/** The upgrade URL's query parameters: the id on every endpoint, recovery's where it is on. */
function upgradeQuery(recovery: boolean): AsyncApiSchema {
  const identity: Record<string, AsyncApiSchema> = {
    'ws-rooms-identity': {
      type: 'string',
      const: '1',
      description: 'ask for the connection id (ws-rooms:identity, the first message)',
    },
  };
  if (!recovery) {
    return {
      type: 'object',
      description: 'The connection id is asked for in the upgrade URL.',
      properties: identity,
    };
  }
  const query = recoveryQuery();
  return {
    ...query,
    description: 'The connection id and missed-message recovery are asked for in the upgrade URL.',
    properties: { ...identity, ...query.properties },
  };
}

function recoveryQuery(): AsyncApiSchema {
  return {
    type: 'object',
    description: 'Missed-message recovery is asked for and resumed in the upgrade URL.',
    properties: {
      'ws-rooms-recovery': { type: 'string', const: '1', description: 'ask for recovery' },
      'ws-rooms-session': {
        type: 'string',
        description: "resume this session (a ws-rooms:session's token)",
      },
      'ws-rooms-offset': {
        type: 'string',
        pattern: '^[0-9]+$',
        description: 'the offset of the last ws-rooms:m received',
      },
      'ws-rooms-id': {
        type: 'string',
        description:
          "the previous connection's id, to take the session over from a node still holding it",
      },
    },
  };
}

/** Keys of events in the channel's messages and operations: letters, digits, `_.-`, unique. */
class EventKeys {
  private readonly keys = new Map<string, string>();
  private readonly taken = new Set<string>();

  of(event: string): string {
    const known = this.keys.get(event);
    if (known !== undefined) return known;
    const base = event.replace(/[^\w.-]/g, '_');
    let key = base;
    for (let n = 2; this.taken.has(key); n++) key = `${base}_${n}`;
    this.keys.set(event, key);
    this.taken.add(key);
    return key;
  }
}
