/** The part of an ioredis connection that subscriptions need. */
export interface SubscriberConnection {
  readonly status: string;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
}

/** Channels per SUBSCRIBE/UNSUBSCRIBE command: keeps one command (and its reply) of bounded size. */
const CHUNK = 1000;

/**
 * The channels this node's single subscriber connection should listen to, and the commands that
 * keep Redis in line with them.
 *
 * Changes are batched per event-loop turn (`setImmediate`): a thousand clients joining in one burst
 * cost one `SUBSCRIBE` with a thousand channels, not a thousand round trips; a join and a leave of
 * the same room in one turn cost nothing. Batches go out in order on one connection, so Redis ends
 * in the last wanted state. While the connection is not ready nothing is sent; after a reconnect
 * {@link resubscribeAll} restores every wanted channel (ioredis' own `autoResubscribe` is off so
 * that there is exactly one source of truth). Every wait is bounded by `timeoutMs`.
 */
export class ChannelSubscriptions {
  private readonly wanted = new Set<string>();
  private readonly touched = new Set<string>();
  private pendingBatch: Promise<void> | null = null;
  private lastBatch: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: SubscriberConnection,
    private readonly timeoutMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Number of wanted channels. */
  get size(): number {
    return this.wanted.size;
  }

  /** True when the channel is wanted. */
  has(channel: string): boolean {
    return this.wanted.has(channel);
  }

  /**
   * Wants a channel. Returns a promise when Redis may not have confirmed it yet (resolves when it
   * has, or after the timeout), `undefined` when it is confirmed already.
   */
  add(channel: string): Promise<void> | undefined {
    if (!this.wanted.has(channel)) {
      this.wanted.add(channel);
      this.touch(channel);
    }
    return this.pendingBatch ?? undefined;
  }

  /** Stops wanting a channel. */
  remove(channel: string): void {
    if (this.wanted.delete(channel)) this.touch(channel);
  }

  /** Resolves when every change made so far has been acknowledged (or timed out, or dropped while offline). */
  settled(): Promise<void> {
    return this.pendingBatch ?? this.lastBatch;
  }

  /** Subscribes to every wanted channel: after (re)connecting, the connection has none. */
  resubscribeAll(): Promise<void> {
    this.touched.clear();
    this.pendingBatch = null;
    const batch = this.send([...this.wanted], []);
    this.lastBatch = batch;
    return batch;
  }

  private touch(channel: string): void {
    this.touched.add(channel);
    if (this.pendingBatch !== null) return;
    this.pendingBatch = new Promise<void>((resolve) => {
      setImmediate(() => {
        const add: string[] = [];
        const remove: string[] = [];
        for (const name of this.touched) (this.wanted.has(name) ? add : remove).push(name);
        this.touched.clear();
        const batch = this.send(add, remove);
        this.lastBatch = batch;
        this.pendingBatch = null;
        void batch.then(resolve);
      });
    });
  }

  private async send(add: string[], remove: string[]): Promise<void> {
    if (this.connection.status !== 'ready' || (add.length === 0 && remove.length === 0)) return;
    const commands: Promise<unknown>[] = [];
    for (let i = 0; i < add.length; i += CHUNK)
      commands.push(this.connection.subscribe(...add.slice(i, i + CHUNK)));
    for (let i = 0; i < remove.length; i += CHUNK) {
      commands.push(this.connection.unsubscribe(...remove.slice(i, i + CHUNK)));
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([Promise.all(commands), timeout]);
    } catch (error) {
      this.onError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}
