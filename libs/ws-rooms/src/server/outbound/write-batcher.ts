import type { Connection } from '../../connection/connection';

/**
 * Ends the write batches of an event-loop turn. A connection corks its socket at its first frame
 * of the turn and writes every frame of the turn straight into it; this batcher remembers the
 * connections that did, and uncorks each once after the I/O callbacks of the turn (`setImmediate`).
 * A sender whose messages arrive together in one TCP read thus costs each recipient one write
 * system call, not one per message: the corking uWebSockets does, on Node.
 */
export class WriteBatcher {
  private corked: Connection[] = [];
  private spare: Connection[] = [];
  private scheduled = false;

  /** Adds a connection that has just corked its socket to this turn's flush. */
  schedule(connection: Connection): void {
    this.corked.push(connection);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  /** Flushes every scheduled connection now. */
  readonly flushAll = (): void => {
    this.scheduled = false;
    const list = this.corked;
    // Swap lists so that a connection corked again while flushing goes to the next turn without
    // allocating.
    this.corked = this.spare;
    for (let i = 0; i < list.length; i++) list[i].flush();
    list.length = 0;
    this.spare = list;
  };
}
