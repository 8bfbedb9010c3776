/**
 * The ws-rooms client, for browsers (through a bundler) and Node: the modern `WsRoomsClient`, the
 * Iris-compatible `Ws`, the protocol codec and their types. Nothing here imports Node modules.
 * @packageDocumentation
 */
export { Backoff, type BackoffSchedule } from './backoff';
export {
  assertEventName,
  ClientCodec,
  type ClientDecodedValue,
  type ClientEmitValue,
  type DecodedEventMessage,
  type DecodeResult,
  type JsonValue,
  type MalformedMessage,
  type NativeMessage,
  type ParsedEventMessage,
  type ParseResult,
} from './client-codec';
export {
  WsRoomsClientError,
  WsRoomsClientErrorCode,
  WsRoomsServerError,
  type WsRoomsClientErrorDetails,
  type WsRoomsServerErrorPayload,
} from './client-errors';
export type { EventHandler, EventName, UnknownEvents } from './client-event-map';
export {
  DEFAULT_CLIENT_OPTIONS,
  DEFAULT_RECONNECT_OPTIONS,
  type ClientTimers,
  type ReconnectOptions,
  type WsRoomsClientOptions,
} from './client-options';
export { Ws, type CompatWsOptions } from './compat-ws';
export type { Unsubscribe } from './listener-registry';
export {
  defaultShouldReconnect,
  isRetryableHandshakeStatus,
  NO_RETRY_APPLICATION_CODES,
  NO_RETRY_CLOSE_CODES,
  type CloseDetails,
} from './reconnect-policy';
export { SendBuffer, type SendBufferPolicy } from './send-buffer';
export { resolveSocketUrl, type LocationLike } from './socket-url';
export type {
  CloseEventLike,
  MessageEventLike,
  SocketData,
  SocketHandlerSlot,
  WebSocketConstructorLike,
  WebSocketLike,
} from './websocket-like';
export {
  WsRoomsClient,
  type ClientState,
  type DisconnectInfo,
  type NativeMessageData,
} from './ws-rooms-client';
