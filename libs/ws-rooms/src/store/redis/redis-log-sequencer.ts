import { describeError } from '../../util/describe-error';
import type { OutboundBroadcast, RecoveryStoreOptions } from '../room-store.interface';
import type { PublishBudget } from './redis-publish-budget';
import type { BroadcastSequencer } from './redis-recovery-store';
import { PRELOADED_SCRIPTS, SEQUENCE_BROADCAST, SEQUENCE_BROADCAST_SHARDED } from './redis-scripts';
import { type RedisStoreContext, wallNow } from './redis-store-context';
import { broadcastBeyondLimits, encodeLoggedParts } from './redis-wire';

/** The bytes Redis adds to a logged broadcast: its offset (at most 16 digits), `-0` and `;`. */
const MAX_LOGGED_OFFSET_BYTES = 19;

/**
 * Numbers broadcasts in the cluster's recovery log (recovery on): one script numbers, logs and
 * publishes each on `<keyPrefix>:logged`, and every node, this one included, delivers it from there,
 * in one order. The script must be known to Redis before it runs (a run that fell back to `EVAL`
 * could be overtaken by the next one): it is loaded at start, after every reconnection, and
 * retried on the heartbeat when a load failed; until then broadcasts are not numbered.
 */
export class LogSequencer implements BroadcastSequencer {
  private scriptsLoaded = false;

  constructor(
    private readonly context: RedisStoreContext,
    private readonly log: RecoveryStoreOptions,
    private readonly budget: PublishBudget,
  ) {}

  /** True once the scripts are known to this Redis (since the last connection loss). */
  get loaded(): boolean {
    return this.scriptsLoaded;
  }

  /** Loads the scripts; a failure is logged, and the heartbeat tries again. */
  async load(): Promise<void> {
    const client = this.context.client();
    if (client === null) return;
    this.scriptsLoaded = false;
    try {
      const scripts = this.context.keys.cluster ? [SEQUENCE_BROADCAST_SHARDED] : PRELOADED_SCRIPTS;
      await Promise.all(scripts.map((script) => script.load(client)));
      this.scriptsLoaded = true;
    } catch (error) {
      this.context.failure('log', `loading the log scripts failed: ${describeError(error)}`);
    }
  }

  /** The connection was lost: a restarted Redis forgot the scripts. */
  forget(): void {
    this.scriptsLoaded = false;
  }

  /**
   * Numbers, logs and publishes a broadcast in one script; every node (this one included) delivers
   * it when it comes back on `<keyPrefix>:logged`. False when Redis cannot take it now, or when it
   * breaks the wire limits: the server then delivers it locally, unlogged, and hands it to
   * `publish()` (which counts one beyond the limits), as it would without recovery.
   */
  sequence(broadcast: OutboundBroadcast): boolean {
    const { context } = this;
    const client = context.client();
    if (!context.connected() || !this.scriptsLoaded || client === null || this.budget.exhausted) {
      return false;
    }
    if (broadcastBeyondLimits(broadcast, context.limits) !== null) return false;
    const { head, body } = encodeLoggedParts(context.nodeId, broadcast);
    if (head.length + body.length + MAX_LOGGED_OFFSET_BYTES > context.limits.maxMessageBytes) {
      return false;
    }
    context.stats.logged++;
    this.budget.take(body.length);
    const { keys } = context;
    (keys.cluster ? SEQUENCE_BROADCAST_SHARDED : SEQUENCE_BROADCAST)
      .run(
        client,
        [keys.logOffset, keys.log, keys.logged],
        // The entry's time is compared by other nodes (trimming, the resume window): wall clock.
        [head, body, this.log.maxMessages, wallNow(context.scheduler), this.log.windowMs],
      )
      .then(
        () => this.budget.give(body.length),
        (error: unknown) => {
          this.budget.give(body.length);
          context.stats.logFailures++;
          context.failure('log', `logging a broadcast failed: ${describeError(error)}`);
          // This node's members still get it (unlogged); the other nodes cannot be reached now.
          context.node()?.deliverLocally(broadcast);
        },
      );
    return true;
  }
}
