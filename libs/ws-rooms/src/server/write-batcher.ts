import type { Connection } from '../connection/connection';

/**
 * Collects the connections that received frames during this event-loop turn and flushes each once,
 * after the I/O callbacks of the turn (`setImmediate`). A sender whose messages arrive together in
 * one TCP read thus costs each recipient one write system call, not one per message: the corking
 * uWebSockets does, on Node.
 */
export class WriteBatcher {
  private dirty: Connection[] = [];
  private spare: Connection[] = [];
  private scheduled = false;

  /** Adds a connection to this turn's flush. */
  schedule(connection: Connection): void {
    connection.flushScheduled = true;
    this.dirty.push(connection);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  /** Flushes every scheduled connection now. */
  readonly flushAll = (): void => {
    this.scheduled = false;
    const list = this.dirty;
    // Swap buffers so that frames queued while flushing go to the next turn without allocating.
    this.dirty = this.spare;
    for (let i = 0; i < list.length; i++) {
      const connection = list[i];
      connection.flushScheduled = false;
      connection.flush();
    }
    list.length = 0;
    this.spare = list;
  };
}
