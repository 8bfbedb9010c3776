import type { Connection } from '../../connection/connection';

/** One data message kept while its connection is held. */
export interface HeldMessage {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

interface Held {
  readonly messages: HeldMessage[];
  /** True once this hold paused the socket (too many messages kept). */
  paused: boolean;
}

/**
 * Messages kept beyond this number pause the socket: the client's further bytes wait in the kernel
 * (TCP backpressure) instead of in memory. With the rate limit on, fewer arrive in one second anyway.
 */
export const HOLD_LIMIT = 64;

/**
 * The data messages of connections whose connection hooks still run (an `onWsConnection` that
 * awaits). Handlers must not see a connection before its hooks are done, so its messages are kept
 * here, in arrival order, and handed back when the hooks end. The socket itself keeps being read:
 * the dispatcher passes replies to server requests on at once (a hook may await
 * `connection.request()`), and pongs and close frames are read as usual. At most {@link HOLD_LIMIT}
 * messages are kept per connection; past it the socket is paused until the hold ends.
 *
 * Only held connections are in the map, so a connection that is not held costs one size check.
 */
export class InboundHold {
  private readonly held = new Map<Connection, Held>();

  /** True while any connection is held: the cheap check before {@link isHeld}. */
  get active(): boolean {
    return this.held.size !== 0;
  }

  /** Starts holding a connection's messages (again: nothing changes). */
  hold(connection: Connection): void {
    if (!this.held.has(connection)) this.held.set(connection, { messages: [], paused: false });
  }

  isHeld(connection: Connection): boolean {
    return this.held.has(connection);
  }

  /** Keeps one message of a held connection; pauses its socket once {@link HOLD_LIMIT} are kept. */
  keep(connection: Connection, data: Buffer, isBinary: boolean): void {
    const held = this.held.get(connection);
    if (held === undefined) return;
    held.messages.push({ data, isBinary });
    if (!held.paused && held.messages.length >= HOLD_LIMIT) {
      held.paused = true;
      connection.ws.pause();
    }
  }

  /**
   * Ends the hold: returns what was kept, oldest first, and resumes the socket if the hold paused
   * it (after the caller has handled the messages, the next read comes on a later turn).
   */
  release(connection: Connection): readonly HeldMessage[] {
    const held = this.held.get(connection);
    if (held === undefined) return [];
    this.held.delete(connection);
    if (held.paused && !connection.closed) connection.ws.resume();
    return connection.closed ? [] : held.messages;
  }
}
