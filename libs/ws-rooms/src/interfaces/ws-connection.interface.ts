import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { DecodedValue, EmitValue } from '../protocol/message-codec';
import type { BroadcastOperator } from './broadcast-operator.interface';
import type { Target } from './targets';

/** Why a connection ended: the close code and reason that were sent or received. */
export interface DisconnectInfo {
  /** The websocket close code (1006 when the socket ended without a close frame). */
  readonly code: number;
  /** The close reason, possibly empty. */
  readonly reason: string;
  /** Who ended it: the client, the server (`disconnect()`, a limit, shutdown). */
  readonly initiator: 'client' | 'server';
}

/** A per-connection event listener registered with {@link WsConnection.on}. */
export type ConnectionEventListener = (value: DecodedValue) => void;

/**
 * One live websocket connection (Iris' `Connection`). Handlers receive it through
 * `@ConnectedSocket()`; services find it by id. `TData` types the per-connection store.
 */
export interface WsConnection<TData extends object = Record<string, unknown>> {
  /** The connection's id; also the name of a room whose only member is this connection. */
  readonly id: string;
  /** The endpoint's name (see the `name` option). */
  readonly endpoint: string;
  /** The upgrade request, or undefined when the `headers` option is off. */
  readonly request: IncomingMessage | undefined;
  /** The upgrade request's headers (empty when the `headers` option is off). */
  readonly headers: IncomingHttpHeaders;
  /** The peer's IP address as the socket saw it. */
  readonly remoteAddress: string | undefined;
  /** A store for the application's data about this connection (user, session...). */
  readonly data: TData;
  /** True until the connection starts closing. */
  readonly isOpen: boolean;
  /** Sends an event message to this connection only (`to(ownId).emit`). */
  emit(event: string, value?: EmitValue): void;
  /** Sends a native message to this connection only. */
  emitMessage(data: string | Uint8Array): void;
  /**
   * Starts a broadcast from this connection: `to(room)` reaches every member of the room, this
   * connection included if it is one; `to(NotMe)` everyone else; `to(All)` everyone.
   */
  to(target: Target): BroadcastOperator;
  /** Joins a room (idempotent). Local membership applies at once; the promise settles when the store has it. */
  join(room: string): Promise<void>;
  /** Leaves a room (a no-op when not a member). */
  leave(room: string): Promise<void>;
  /** The rooms this connection is in, its own-id room first. */
  rooms(): string[];
  /** True when this connection is in the room (its own-id room included). */
  isIn(room: string): boolean;
  /**
   * Closes the connection with a close frame. Idempotent: the disconnect handlers run once.
   * @param code 1000 (default) or an application code 3000–4999.
   */
  disconnect(code?: number, reason?: string): void;
  /** Registers a listener for one event on this connection only (Iris' `c.On`). Returns a remover. */
  on(event: string, listener: ConnectionEventListener): () => void;
  /** Registers a listener for native messages on this connection only (Iris' `c.OnMessage`). */
  onMessage(listener: (data: Buffer) => void): () => void;
  /** Registers a disconnect listener on this connection only (Iris' `c.OnDisconnect`). */
  onDisconnect(listener: (info: DisconnectInfo) => void): void;
}
