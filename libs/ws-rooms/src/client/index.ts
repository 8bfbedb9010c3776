/**
 * The ws-rooms client, for browsers (through a bundler) and Node: the modern `WsRoomsClient` (with
 * requests, presence and recovery), the Iris-compatible `Ws`, the protocol codec, the envelopes of
 * the ws-rooms extensions and their types. Nothing here imports Node modules.
 * @packageDocumentation
 */
export { Backoff, type BackoffSchedule } from './backoff';
export {
  assertEventName,
  ClientCodec,
  DEFAULT_CLIENT_DECODE_LIMITS,
  type ClientDecodeLimits,
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
/** The server's error codes, for comparing `WsRoomsServerError.code` (e.g. `RateLimited`). */
export { WsRoomsErrorCode } from '../errors/error-codes';
export {
  WsRoomsClientError,
  WsRoomsClientErrorCode,
  WsRoomsServerError,
  type WsRoomsClientErrorDetails,
  type WsRoomsServerErrorPayload,
} from './client-errors';
export type {
  AnyEventArgs,
  EventArgs,
  EventHandler,
  EventName,
  RequestArgs,
  RequestHandler,
  RequestReply,
  RequestsToClient,
  RequestsToServer,
  RequestValue,
  ToClientEvents,
  ToServerEvents,
  UnknownEvents,
  UnknownRequests,
  UntypedEventMap,
  WsEventMap,
} from './client-event-map';
export {
  DEFAULT_CLIENT_OPTIONS,
  DEFAULT_RECONNECT_OPTIONS,
  MAX_TIMER_DELAY,
  type ClientTimers,
  type ReconnectOptions,
  type WsRoomsClientOptions,
} from './client-options';
export { Ws, type CompatWsOptions } from './compat-ws';
export type { Unsubscribe } from './listener-registry';
export { parsePresence, type PresenceChange, type PresenceMember } from './presence-view';
export {
  defaultShouldReconnect,
  isRetryableHandshakeStatus,
  NO_RETRY_APPLICATION_CODES,
  NO_RETRY_CLOSE_CODES,
  TRY_AGAIN_LATER_CLOSE_CODE,
  type CloseDetails,
} from './reconnect-policy';
/**
 * The upgrade URL's query parameter with which the modern client asks for its id
 * (`ws-rooms-identity=1`; the `identity` option), answered with `ws-rooms:identity`.
 */
export { IDENTITY_QUERY_PARAMETER } from '../protocol/protocol.constants';
export { unwrapMessage, type WrappedMessage } from './recovery-envelope';
export {
  RecoveryQuery,
  type RecoveryFailureReason,
  type RecoveryResult,
  type RecoveryStatus,
} from './recovery-session';
export {
  errorReplyPayload,
  parseReplyEnvelope,
  parseRequestEnvelope,
  replyPayload,
  requestPayload,
  type InvalidRequestEnvelope,
  type ReplyEnvelope,
  type ReplyErrorBody,
  type RequestEnvelope,
} from './request-envelope';
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
  type RequestOptions,
} from './ws-rooms-client';
