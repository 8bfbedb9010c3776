/**
 * The part of the AsyncAPI 3.0.0 document model that ws-rooms writes: plain JSON shapes, written out
 * here so that the library needs no AsyncAPI package at run time (validation in the tests uses a
 * real parser). Every object may carry `x-` specification extensions.
 */

/** A JSON value, as the document holds it. */
export type AsyncApiJson =
  | string
  | number
  | boolean
  | null
  | readonly AsyncApiJson[]
  | { readonly [key: string]: AsyncApiJson | undefined };

/** An AsyncAPI Reference Object: `{ "$ref": "#/components/schemas/ChatMessage" }`. */
export interface AsyncApiReference {
  readonly $ref: string;
}

/**
 * An AsyncAPI Schema Object (a superset of JSON Schema draft 07), as far as ws-rooms writes one.
 * `x-` members carry what JSON Schema cannot say (e.g. the class-validator rules left unmapped).
 */
export interface AsyncApiSchema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly title?: string;
  readonly description?: string;
  readonly format?: string;
  readonly contentMediaType?: string;
  readonly contentEncoding?: string;
  readonly const?: AsyncApiJson;
  readonly enum?: readonly AsyncApiJson[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly items?: AsyncApiSchema;
  readonly properties?: Readonly<Record<string, AsyncApiSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | AsyncApiSchema;
  readonly oneOf?: readonly AsyncApiSchema[];
  readonly anyOf?: readonly AsyncApiSchema[];
  readonly allOf?: readonly AsyncApiSchema[];
  readonly not?: AsyncApiSchema;
  readonly examples?: readonly AsyncApiJson[];
  readonly [extension: `x-${string}`]: AsyncApiJson | undefined;
}

/** The `info` object: what the document describes. */
export interface AsyncApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

/** A server variable, for a `{host}` that the document cannot know. */
export interface AsyncApiServerVariable {
  readonly description?: string;
  readonly default?: string;
  readonly enum?: readonly string[];
  readonly examples?: readonly string[];
}

/** A Server Object: where a client connects (`protocol://host`; the channel's address is the path). */
export interface AsyncApiServer {
  readonly host: string;
  readonly protocol: string;
  readonly pathname?: string;
  readonly title?: string;
  readonly description?: string;
  readonly variables?: Readonly<Record<string, AsyncApiServerVariable>>;
  readonly [extension: `x-${string}`]: AsyncApiJson | undefined;
}

/** The WebSockets channel binding (0.1.0): how the connection's HTTP upgrade is made. */
export interface AsyncApiWebSocketsChannelBinding {
  readonly method: 'GET';
  readonly query?: AsyncApiSchema;
  readonly headers?: AsyncApiSchema;
  readonly bindingVersion: '0.1.0';
}

/** A Channel Object: one per endpoint, the websocket connection itself. */
export interface AsyncApiChannel {
  readonly address: string;
  readonly title?: string;
  readonly description?: string;
  readonly servers: readonly AsyncApiReference[];
  readonly messages: Readonly<Record<string, AsyncApiMessage>>;
  readonly bindings?: { readonly ws: AsyncApiWebSocketsChannelBinding };
  readonly [extension: `x-${string}`]: AsyncApiJson | undefined;
}

/** Where a message names the exchange it belongs to (requests and replies: the envelope's `id`). */
export interface AsyncApiCorrelationId {
  readonly description?: string;
  readonly location: string;
}

/** A Message Example Object. */
export interface AsyncApiMessageExample {
  readonly name?: string;
  readonly summary?: string;
  readonly headers?: Readonly<Record<string, AsyncApiJson>>;
  readonly payload?: AsyncApiJson;
}

/** A Message Object. */
export interface AsyncApiMessage {
  readonly name: string;
  readonly title?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly contentType?: string;
  readonly headers?: AsyncApiSchema;
  readonly payload: AsyncApiSchema;
  readonly correlationId?: AsyncApiCorrelationId;
  readonly examples?: readonly AsyncApiMessageExample[];
  readonly [extension: `x-${string}`]: AsyncApiJson | undefined;
}

/** The `reply` of a request operation. */
export interface AsyncApiOperationReply {
  readonly channel: AsyncApiReference;
  readonly messages: readonly AsyncApiReference[];
}

/** An Operation Object, from the application's (the server's) point of view. */
export interface AsyncApiOperation {
  /** `receive`: clients send it to the server; `send`: the server sends it to clients. */
  readonly action: 'send' | 'receive';
  readonly channel: AsyncApiReference;
  readonly title?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly messages: readonly AsyncApiReference[];
  readonly reply?: AsyncApiOperationReply;
  readonly [extension: `x-${string}`]: AsyncApiJson | undefined;
}

/** A whole AsyncAPI 3.0.0 document, as ws-rooms serves it. */
export interface AsyncApiDocument {
  readonly asyncapi: '3.0.0';
  readonly info: AsyncApiInfo;
  readonly defaultContentType: string;
  readonly servers: Readonly<Record<string, AsyncApiServer>>;
  readonly channels: Readonly<Record<string, AsyncApiChannel>>;
  readonly operations: Readonly<Record<string, AsyncApiOperation>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, AsyncApiSchema>>;
  };
  readonly [extension: `x-${string}`]: AsyncApiJson | undefined;
}
