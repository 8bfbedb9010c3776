/**
 * Per-connection state that belongs to one part of the server. Each part creates its object the
 * first time a connection uses the feature, so an idle connection of an endpoint without requests
 * or recovery carries two `undefined` fields, and no part reaches into another's state.
 */

/** A server-to-client request waiting for its reply. */
export interface PendingRequest {
  resolve(value: unknown): void;
  reject(error: Error): void;
  readonly timer: NodeJS.Timeout;
}

/** The requests this server sent to one client (owned by the request part). */
export interface OutgoingRequests {
  nextId: number;
  readonly pending: Map<number, PendingRequest>;
}

/** A broadcast kept for a connection whose replay is still being read. */
export interface HeldBackFrame {
  readonly bytes: Buffer;
  readonly offset?: number;
  readonly volatile: boolean;
}

/** The recovery session of an opted-in connection (owned by the recovery extension). */
export interface RecoveryState {
  /** The session token the client resumes with. */
  readonly token: string;
  /** True when this connection resumed a previous session. */
  recovered: boolean;
  /** Broadcasts that arrived while the replay was being read; undefined outside a replay. */
  heldBack: { readonly frames: HeldBackFrame[]; bytes: number } | undefined;
  /** The log's head when the connection joined each room: a replay skips what came before. */
  joinedAt: Map<string, number> | undefined;
}

/** The inbound message budget of one connection (owned by the flood guard). */
export interface InboundBudget {
  /** Token bucket of `maxMessageRate` / `maxMessageBurst`. */
  tokens: number;
  /** Monotonic time of the last refill. */
  refilledAt: number;
  /** Messages refused since the bucket last had a token. */
  refusedInARow: number;
  /** Monotonic time the client was last told it is over the rate (at most once a second). */
  toldAt: number;
  /** Asynchronous handlers of this connection still running (bounded by `maxPendingHandlers`). */
  pendingHandlers: number;
}
