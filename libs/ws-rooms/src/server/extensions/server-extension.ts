import type { IncomingMessage } from 'node:http';
import type { Connection } from '../../connection/connection';
import type { OutboundBroadcast } from '../../store/room-store.interface';

/** How a connection ended, as the extensions see it. */
export interface ConnectionEnd {
  readonly code: number;
  readonly initiator: 'client' | 'server';
  /** The rooms it was in (its own id excluded). */
  readonly rooms: readonly string[];
  /** Not a deliberate close (a cut, a pong timeout, this node going away): it may come back. */
  readonly resumable: boolean;
}

/**
 * Sends one broadcast to one recipient in the extension's own way; returns true when a frame was
 * queued, false when none was (held back or dropped), undefined to let the plain frame go.
 */
export type RecipientSender = (connection: Connection) => boolean | undefined;

/**
 * The hooks a feature plugs into, so that the core parts (membership, delivery, close) stay free of
 * presence and recovery. Each hook is optional; a hook that returns a promise is tracked by the
 * endpoint (and, for joins and leaves, awaited by the caller's `join()` / `leave()`).
 */
export interface ServerExtension {
  /**
   * A connection was accepted, before recovery's session and the connection hooks: what the hook
   * sends is the connection's first message. `request` is the upgrade request (its URL carries
   * what the client asked for).
   */
  connected?(connection: Connection, request: IncomingMessage): unknown;
  /** A local connection joined a room; `routed` is the store's own work for the join. */
  joined?(connection: Connection, room: string, routed: unknown): unknown;
  /** A local connection left a room. */
  left?(connection: Connection, room: string): unknown;
  /** A local connection ended; it has left its rooms already. */
  ended?(connection: Connection, end: ConnectionEnd): unknown;
}

/** The delivery hooks: only one feature (recovery) numbers and rewraps broadcasts. */
export interface DeliveryHook {
  /** True when the hook takes the broadcast over (a sequenced log delivers it back with an offset). */
  publishing(broadcast: OutboundBroadcast): boolean;
  /** Once per local delivery: a sender for the recipients it treats differently, if any. */
  delivering(
    broadcast: OutboundBroadcast,
    frame: Buffer,
    offset: number | undefined,
  ): RecipientSender | undefined;
}
