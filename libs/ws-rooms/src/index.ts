/**
 * ws-rooms: the Iris websocket events-and-rooms model for NestJS, on `ws`.
 * @packageDocumentation
 */
export { ConnectedSocket, MessageBody } from '@nestjs/websockets';
export { WsRoomsModule } from './module/ws-rooms.module';
export type {
  WsRoomsAsyncOptions,
  WsRoomsOptionsFactory,
} from './module/ws-rooms-async-options.interface';
export type {
  AuthenticateRefusal,
  WsRoomsOptions,
  UpgradeErrorContext,
} from './options/ws-rooms-options.interface';
export { defineWsRoomsOptions, type WsRoomsPrincipal } from './options/define-options';
export { DEFAULT_ENDPOINT_NAME } from './options/resolve-options';
export { isSameOrigin, normalizeOrigin } from './options/origin-policy';
export { WsRoomsGateway } from './gateway/decorators/ws-rooms-gateway.decorator';
export type { WsRoomsGatewayOptions } from './gateway/decorators/ws-rooms-gateway.decorator';
export { OnEvent, OnWsEvent } from './gateway/decorators/on-event.decorator';
export { OnMessage } from './gateway/decorators/on-message.decorator';
export { MessageIsBinary } from './gateway/decorators/message-is-binary.decorator';
export { WsRoomsEndpoint } from './gateway/ws-rooms-endpoint';
export type { OnWsConnection, OnWsDisconnect } from './interfaces/lifecycle-hooks.interface';
export type {
  WsConnection,
  DisconnectInfo,
  ConnectionEventListener,
  UpgradeRequestInfo,
} from './interfaces/ws-connection.interface';
export type {
  BroadcastOperator,
  BroadcastRequestOptions,
  BroadcastRequestResult,
} from './interfaces/broadcast-operator.interface';
export type {
  EventArgs,
  EventName,
  PrincipalOf,
  RequestArgs,
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
} from './interfaces/event-map.interface';
export type { InboundValue, ServerEmitArgs } from './interfaces/ws-connection.interface';
export type { EmitOptions, RequestOptions } from './interfaces/ws-connection.interface';
export type { PresenceMember } from './store/presence-store.interface';
export type { RecoveryOptions, PresenceOptions } from './options/ws-rooms-options.interface';
export { All, NotMe, Broadcast } from './interfaces/targets';
export type { Target } from './interfaces/targets';
export { RoomsService } from './services/rooms.service';
export { ConnectionsService } from './services/connections.service';
export { InjectRooms, InjectConnections } from './services/inject.decorators';
export type { WsRoomsStats } from './server/server-stats';
export { WsRoomsAdapter } from './adapter/ws-rooms.adapter';
export type { WsRoomsAdapterOptions } from './adapter/ws-rooms.adapter';
export type { WsRoomsServer } from './interfaces/ws-rooms-server.interface';
export { WsRoomsError } from './errors/ws-rooms.error';
export { WsRoomsErrorCode } from './errors/error-codes';
export { CloseCode } from './errors/close-codes';
export { MessageCodec, assertEventName } from './protocol/message-codec';
export type { DecodeResult, DecodedValue, EmitValue, JsonValue } from './protocol/message-codec';
export {
  DEFAULT_PREFIX,
  IDENTITY_QUERY_PARAMETER,
  LEGACY_PREFIX,
  PayloadType,
  ReservedEvent,
  RESERVED_EVENT_PREFIX,
} from './protocol/protocol.constants';
export { writeHttpError } from './http/write-http-error';
export { MemoryRoomStore } from './store/memory-room-store';
export type { RoomIndexView } from './store/room-index';
export type {
  RoomStore,
  LocalNode,
  OutboundBroadcast,
  OutboundRequest,
  RemoteCommand,
  ClusterQueryResult,
  RecoveryStoreOptions,
} from './store/room-store.interface';
export { MemoryPresenceStore } from './store/memory-presence-store';
export { DEFAULT_MAX_PRESENCE_MEMBERS } from './store/presence-store.interface';
export type {
  MaybePromise,
  PresenceSnapshot,
  PresenceStore,
  PresenceStoreEvents,
} from './store/presence-store.interface';
export type {
  RecordedBroadcast,
  RecoveryFailure,
  RecoveryStore,
  SessionTakeResult,
  SuspendedSession,
} from './store/recovery-store.interface';
export {
  getConnectionsServiceToken,
  getRoomsServiceToken,
  getWsRoomsOptionsToken,
  getWsRoomsServerToken,
} from './constants';
export * from './store/redis';
export type { UpgradeRefusalReason } from './server/server-stats';
export { UPGRADE_REFUSAL_REASONS } from './server/server-stats';
export type {
  DashboardAuthorize,
  DashboardOptions,
  MetricsOptions,
} from './observability/observability-options';
export { WS_ROOMS_METRIC_NAMES } from './observability/metrics-exporter';
export { WsRoomsMetricsError, WsRoomsMetricsErrorCode } from './observability/metrics.error';
export type { DashboardSnapshot } from './observability/dashboard-snapshot';
export type { RateSample } from './observability/rate-sampler';
export type { RoomSize } from './observability/top-rooms';
export { DASHBOARD_STATS_EVENT } from './observability/dashboard';
export type {
  AsyncApiOptions,
  AsyncApiPayload,
  AsyncApiPayloadClass,
  AsyncApiRequestDeclaration,
} from './asyncapi/asyncapi-options';
export { DEFAULT_ASYNCAPI_PATH } from './asyncapi/asyncapi-options';
export type {
  AsyncApiChannel,
  AsyncApiCorrelationId,
  AsyncApiDocument,
  AsyncApiInfo,
  AsyncApiJson,
  AsyncApiMessage,
  AsyncApiMessageExample,
  AsyncApiOperation,
  AsyncApiOperationReply,
  AsyncApiReference,
  AsyncApiSchema,
  AsyncApiServer,
  AsyncApiServerVariable,
  AsyncApiWebSocketsChannelBinding,
} from './asyncapi/asyncapi-document.types';
