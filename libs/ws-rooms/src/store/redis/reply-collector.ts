/** What a {@link ReplyCollector} resolves with. */
export interface GatheredReplies<B> {
  /** The answers, by the node id that sent them. */
  readonly answers: ReadonlyMap<string, B>;
  /**
   * True when every expected node answered, or a final answer arrived; false when the timeout
   * came first, or when who to expect was never learned.
   */
  readonly complete: boolean;
  /** Expected nodes that did not answer (empty when the expectation was a count or unknown). */
  readonly missing: readonly string[];
}

/**
 * Gathers the answers of other nodes to one request. Who must answer can be learned after the
 * request went out (from the heartbeat keys, or from the receiver count `PUBLISH` returns), and
 * answers that arrive earlier are kept. It resolves exactly once: when every expected node has
 * answered, when an answer is final (e.g. "I ran the command"), or at the timeout. The timer is
 * `unref()`ed and cleared as soon as it resolves.
 */
export class ReplyCollector<B> {
  /** Resolves once; never rejects. */
  readonly result: Promise<GatheredReplies<B>>;
  private readonly answers = new Map<string, B>();
  private expectedNodes: ReadonlySet<string> | null = null;
  private expectedCount: number | null = null;
  private resolve!: (gathered: GatheredReplies<B>) => void;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;

  constructor(
    timeoutMs: number,
    /** An answer that ends the wait at once (e.g. the owner of a connection answered). */
    private readonly isFinal: (answer: B) => boolean = () => false,
    /** Called once when the collector resolves, to forget it. */
    private readonly onSettled: () => void = () => {},
  ) {
    this.result = new Promise((resolve) => (this.resolve = resolve));
    this.timer = setTimeout(() => this.finish(false), timeoutMs);
    this.timer.unref();
  }

  /** True once resolved. */
  get done(): boolean {
    return this.settled;
  }

  /** Records one node's answer (a node's second answer is ignored). */
  add(nodeId: string, answer: B): void {
    if (this.settled || this.answers.has(nodeId)) return;
    this.answers.set(nodeId, answer);
    if (this.isFinal(answer)) this.finish(true);
    else this.check();
  }

  /** Every one of these nodes must answer (answers from other nodes are kept too). */
  expectNodes(nodeIds: Iterable<string>): void {
    this.expectedNodes = new Set(nodeIds);
    this.check();
  }

  /** This many nodes must answer (whichever they are). */
  expectCount(count: number): void {
    this.expectedCount = count;
    this.check();
  }

  /** Resolves now with what arrived, as incomplete (e.g. the request could not be sent). */
  abort(): void {
    this.finish(false);
  }

  private check(): void {
    if (this.settled) return;
    if (this.expectedNodes !== null) {
      for (const nodeId of this.expectedNodes) if (!this.answers.has(nodeId)) return;
      this.finish(true);
    } else if (this.expectedCount !== null && this.answers.size >= this.expectedCount) {
      this.finish(true);
    }
  }

  private finish(complete: boolean): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const missing: string[] = [];
    if (this.expectedNodes !== null) {
      for (const nodeId of this.expectedNodes) if (!this.answers.has(nodeId)) missing.push(nodeId);
    }
    this.onSettled();
    this.resolve({ answers: this.answers, complete, missing });
  }
}
