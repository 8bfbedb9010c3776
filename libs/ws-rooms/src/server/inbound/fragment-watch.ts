import WebSocket from 'ws';
import type { Connection } from '../../connection/connection';
import { CloseCode } from '../../errors/close-codes';
import type { Scheduler } from '../../util/scheduler';

/**
 * The two fields of `ws`'s `Receiver` the watch reads. They are not public API: `_fragmented` is
 * the opcode of the message whose first fragment arrived and whose last has not (0 otherwise), and
 * `_fragments` the array of its fragments, replaced by a new array when a message completes. Their
 * meaning is checked once per process by {@link receiverFieldsBehave} on a real `Receiver`.
 */
interface ReceiverFields {
  readonly _fragmented: number;
  readonly _fragments: readonly unknown[];
}

/** The receiver of a socket, when it has the fields the watch reads. */
function receiverOf(ws: WebSocket): ReceiverFields | undefined {
  const receiver = (ws as unknown as { _receiver?: Partial<ReceiverFields> | null })._receiver;
  if (
    receiver == null ||
    typeof receiver._fragmented !== 'number' ||
    !Array.isArray(receiver._fragments)
  ) {
    return undefined;
  }
  return receiver as ReceiverFields;
}

type ReceiverClass = new (options: { isServer: boolean; allowSynchronousEvents: boolean }) => {
  write(chunk: Buffer): boolean;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
} & Partial<ReceiverFields>;

let probed: boolean | undefined;

/**
 * Feeds a real `ws` `Receiver` the first fragment of a text message, then its last, and checks that
 * the fields read by the watch say what it assumes: open after the first, a fresh fragment array and
 * nothing open after the last. Run once per process; false turns the fragment timeout off (with a
 * warning) instead of acting on fields that mean something else in another `ws` version.
 */
export function receiverFieldsBehave(): boolean {
  if (probed !== undefined) return probed;
  probed = false;
  try {
    const Receiver = (WebSocket as unknown as { Receiver?: ReceiverClass }).Receiver;
    if (typeof Receiver !== 'function') return false;
    const receiver = new Receiver({ isServer: false, allowSynchronousEvents: true });
    const messages: unknown[] = [];
    receiver.on('message', (data) => messages.push(data));
    receiver.on('error', () => undefined);
    // Unmasked frames, as a server sends them (the receiver is a client's): FIN=0 'a', then FIN=1 'b'.
    // Read through a function: the writes change the fields behind the compiler's back.
    const fields = (): Partial<ReceiverFields> => ({ ...receiver });
    receiver.write(Buffer.from([0x01, 0x01, 0x61]));
    const first = fields();
    const openAfterFirst =
      first._fragmented === 1 && Array.isArray(first._fragments) && first._fragments.length === 1;
    receiver.write(Buffer.from([0x80, 0x01, 0x62]));
    const last = fields();
    probed =
      openAfterFirst &&
      messages.length === 1 &&
      last._fragmented === 0 &&
      Array.isArray(last._fragments) &&
      last._fragments !== first._fragments;
  } catch {
    probed = false;
  }
  return probed;
}

/** What the watch needs from the endpoint. */
export interface FragmentWatchPorts {
  /** The live connections. */
  connections(): Iterable<Connection>;
  /** Ends a connection from the server side. */
  close(connection: Connection, code: number, reason: string): void;
  /** Told once when the fields cannot be trusted and the timeout is off. */
  warn(message: string): void;
}

/**
 * Bounds how long a fragmented message may stay unfinished (`fragmentTimeout`). `ws` buffers the
 * fragments of a message in its receiver and tells nothing until the last one arrives, while pongs
 * and pings may still come between them, so neither the heartbeat nor the message rate notices a
 * client that sends a first fragment and never the last. One timer per endpoint looks at every
 * connection's receiver each quarter of the timeout (at most every second): a message seen open is
 * remembered by its fragment array, and a connection whose same message is still open a timeout
 * later is closed with 1008. A message is thus cut between `fragmentTimeout` and 1.25 times it after
 * its first fragment was seen. A single frame sent slowly needs no watch: the client cannot answer
 * pings in the middle of it, so the heartbeat ends it.
 */
export class FragmentWatch {
  /** Connections with a message open at the last look, and since when (monotonic ms). */
  private readonly open = new Map<Connection, { fragments: readonly unknown[]; since: number }>();
  private timer: { cancel(): void } | null = null;
  readonly tickInterval: number;

  constructor(
    private readonly timeout: number,
    private readonly scheduler: Scheduler,
    private readonly ports: FragmentWatchPorts,
  ) {
    this.tickInterval = Math.min(1000, Math.max(5, Math.floor(timeout / 4)));
  }

  start(): void {
    if (this.timeout === 0 || this.timer !== null) return;
    if (!receiverFieldsBehave()) {
      this.ports.warn(
        'fragmentTimeout is off: the installed ws does not expose the receiver state it reads',
      );
      return;
    }
    this.timer = this.scheduler.every(this.tickInterval, () => this.sweep());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.open.clear();
  }

  /** One look at every connection; public for tests that drive the clock. */
  sweep(): void {
    const now = this.scheduler.now();
    const expired: Connection[] = [];
    for (const connection of this.ports.connections()) {
      const receiver = receiverOf(connection.ws);
      if (receiver === undefined || receiver._fragmented === 0) {
        if (this.open.size !== 0) this.open.delete(connection);
        continue;
      }
      const seen = this.open.get(connection);
      if (seen === undefined || seen.fragments !== receiver._fragments) {
        this.open.set(connection, { fragments: receiver._fragments, since: now });
      } else if (now - seen.since >= this.timeout) {
        expired.push(connection);
      }
    }
    for (const connection of this.open.keys()) {
      if (connection.closed) this.open.delete(connection);
    }
    for (const connection of expired) {
      this.open.delete(connection);
      this.ports.close(connection, CloseCode.PolicyViolation, 'message not completed in time');
    }
  }
}
