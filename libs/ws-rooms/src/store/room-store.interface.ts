import type { BroadcastRequestResult } from '../interfaces/broadcast-operator.interface';
import type { EmitValue } from '../protocol/message-codec';
import type { PresenceStore } from './presence-store.interface';
import type { RecoveryStore } from './recovery-store.interface';
import type { OutboundBroadcast } from './outbound-broadcast';
import type { RoomIndexView } from './room-index';

export type { OutboundBroadcast } from './outbound-broadcast';

/** A request to the members of rooms (`to(room).request()`), as it travels between nodes. */
export interface OutboundRequest {
  /** Rooms (or connection ids) to reach; `null` means every connection of the endpoint. */
  readonly rooms: readonly string[] | null;
  /** Rooms (or connection ids) whose members are skipped. */
  readonly except: readonly string[];
  readonly event: string;
  readonly value: EmitValue;
  /** Milliseconds each recipient has to answer. */
  readonly timeout: number;
}

/** A membership or lifecycle command for a connection that may live on another node. */
export type RemoteCommand =
  | { readonly kind: 'join'; readonly connectionId: string; readonly room: string }
  | { readonly kind: 'leave'; readonly connectionId: string; readonly room: string }
  | {
      readonly kind: 'disconnect';
      readonly connectionId: string;
      readonly code: number;
      readonly reason: string;
    }
  | {
      /**
       * A client resumes a session whose connection its server still holds (the network cut was
       * not noticed yet): the holder ends it as cut, keeping the session for the resume, if the
       * token and the principal match.
       */
      readonly kind: 'takeover';
      readonly connectionId: string;
      readonly token: string;
      readonly owner: string;
    };

/** The answer of a cluster-wide query; `partial` is true when a node did not answer in time. */
export interface ClusterQueryResult<T> {
  readonly value: T;
  readonly partial: boolean;
}

/** What a store may call back on the node it serves. */
export interface LocalNode {
  /** The local membership index (read-only use). */
  readonly index: RoomIndexView;
  /** Ids of the connections of this node. */
  connectionIds(): IterableIterator<string>;
  /** True when the connection lives on this node. */
  hasConnection(connectionId: string): boolean;
  /**
   * True when a target name denotes a connection id rather than a room. Ids and room names are
   * disjoint (a room shaped like an id is refused at join), so a store must route the two apart:
   * an id and a room of the same spelling never share a channel or a key.
   */
  isConnectionId(name: string): boolean;
  /**
   * Delivers a broadcast to this node's connections: one another node published, or, with a
   * sequenced recovery store, any logged broadcast (this node's own included) with its `offset`.
   */
  deliverLocally(broadcast: OutboundBroadcast, offset?: number): void;
  /**
   * Runs a command for a local connection; false when the connection is not here (or, for a
   * takeover, does not match). A takeover resolves once the session is kept.
   */
  runLocally(command: RemoteCommand): boolean | Promise<boolean>;
  /** Sends a request to this node's recipients and collects their answers (never rejects). */
  requestLocally(request: OutboundRequest): Promise<BroadcastRequestResult<unknown>>;
}

/**
 * Room state beyond one process. The server keeps the local index itself and delivers to local
 * members synchronously; the store is told about every membership change and every broadcast so
 * that it can share them with other nodes, and it answers cluster-wide queries. Every method may be
 * asynchronous so that a networked implementation (Redis) fits without changing callers.
 * `MemoryRoomStore` is the single-node implementation.
 */
export interface RoomStore {
  /** Called once when the endpoint starts. */
  start(node: LocalNode): void | Promise<void>;
  /** A local connection joined a room (after the local index was updated). */
  joined(connectionId: string, room: string): void | Promise<void>;
  /** A local connection left a room (after the local index was updated). */
  left(connectionId: string, room: string): void | Promise<void>;
  /** A local connection appeared. */
  connected(connectionId: string): void | Promise<void>;
  /** A local connection went away, leaving these rooms. */
  disconnected(connectionId: string, rooms: readonly string[]): void | Promise<void>;
  /** A broadcast already delivered locally; forward it to the other nodes. */
  publish(broadcast: OutboundBroadcast): void;
  /** Runs a command for a connection that is not on this node; resolves true when some node ran it. */
  sendRemote(command: RemoteCommand): Promise<boolean>;
  /** Members of a room across all nodes (connection ids). */
  members(room: string): Promise<ClusterQueryResult<string[]>>;
  /** Non-empty rooms across all nodes (own-id rooms excluded). */
  rooms(): Promise<ClusterQueryResult<string[]>>;
  /** Rooms of one connection, wherever it lives (own-id room excluded); empty when unknown. */
  roomsOf(connectionId: string): Promise<ClusterQueryResult<string[]>>;
  /** Number of connections across all nodes. */
  connectionCount(): Promise<ClusterQueryResult<number>>;
  /**
   * Sends a request to the recipients on the other nodes and merges what they report; `partial`
   * when a node did not report within the request's timeout (plus the store's own margin). Without
   * it, `to(room).request()` reaches this node's members only.
   */
  requestRemote?(
    request: OutboundRequest,
  ): Promise<ClusterQueryResult<BroadcastRequestResult<unknown>>>;
  /** Stops the store (called on shutdown). */
  close(): Promise<void>;
  /**
   * Presence records shared by every node, for the `presence` option. Without it the server keeps
   * presence in memory, which is right for one node only.
   */
  createPresenceStore?(): PresenceStore;
  /**
   * A recovery log shared by every node, for the `recovery` option, so that a client may resume on
   * any node. Without it the server keeps the log in memory, which is right for one node only.
   */
  createRecoveryStore?(options: RecoveryStoreOptions): RecoveryStore;
}

/** The bounds of a recovery log (the endpoint's `recovery` option, defaults applied). */
export interface RecoveryStoreOptions {
  /** How long a cut session may come back, and the oldest broadcast kept (milliseconds). */
  readonly windowMs: number;
  /** Most broadcasts kept. */
  readonly maxMessages: number;
}
