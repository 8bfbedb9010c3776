/**
 * `ws-rooms/internal`: the library's own building blocks, for its tests, its benchmarks and tools
 * that need to reach past the public API.
 *
 * UNSTABLE. Nothing here is covered by semantic versioning: any name may change or disappear in a
 * patch release. Applications import from `ws-rooms` (and `ws-rooms/client`, `ws-rooms/testing`),
 * whose names the README documents.
 * @packageDocumentation
 */
export { WsRoomsServer } from './server/ws-rooms.server';
export type {
  ConnectionHook,
  DisconnectHook,
  EventHandler,
  NativeHandler,
} from './server/ws-rooms.server';
export type { ResolvedWsRoomsOptions } from './options/ws-rooms-options.interface';
export type { Connection } from './connection/connection';
export { type Scheduler, systemScheduler } from './util/scheduler';
export { RecoveryLog, newSessionToken } from './store/recovery-log';
export { createStats } from './server/server-stats';
export { RoomIndex } from './store/room-index';
export {
  parseReply,
  parseRequest,
  requestPayload,
  replyPayload,
  errorReplyPayload,
} from './protocol/reserved-messages';
export type { RequestEnvelope, ReplyEnvelope, ReplyError } from './protocol/reserved-messages';
