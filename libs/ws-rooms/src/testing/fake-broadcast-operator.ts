import type {
  BroadcastOperator,
  BroadcastRequestOptions,
  BroadcastRequestResult,
} from '../interfaces/broadcast-operator.interface';
import type {
  EventArgs,
  EventName,
  RequestArgs,
  RequestReply,
  RequestsToClient,
  ToClientEvents,
  UntypedEventMap,
  WsEventMap,
} from '../interfaces/event-map.interface';
import type { Target } from '../interfaces/targets';

/** One broadcast a fake connection (or a fake operator) sent: where to, how, and what. */
export interface FakeBroadcast {
  /** `emit` (an event), `emitMessage` (a native message) or `request`. */
  readonly kind: 'emit' | 'emitMessage' | 'request';
  /** The targets given to `to()`/`in()`, in order (`All` is `''`). */
  readonly targets: readonly string[];
  /** The rooms or ids given to `except()`, in order. */
  readonly except: readonly string[];
  /** Whether `.volatile` was used. */
  readonly volatile: boolean;
  /** Whether `.binary` was used. */
  readonly binary: boolean;
  /** The event (`emit`, `request`). */
  readonly event?: string;
  /** The value (`emit`, `request`). */
  readonly value?: unknown;
  /** The native message (`emitMessage`). */
  readonly data?: string | Uint8Array;
  /** The request's options (`request`). */
  readonly options?: BroadcastRequestOptions;
}

/** The part of a broadcast fixed before its send. */
interface Route {
  readonly targets: readonly string[];
  readonly except: readonly string[];
  readonly volatile: boolean;
  readonly binary: boolean;
}

/**
 * A broadcast operator that records instead of sending: each `emit`, `emitMessage` and `request`
 * is handed to `record` with its route. Like the real one, every call returns a new operator, so a
 * partly built route can be reused. A request resolves with an empty result (no recipient is
 * simulated): assert on what was recorded.
 */
export class FakeBroadcastOperator<
  TEvents extends WsEventMap = UntypedEventMap,
> implements BroadcastOperator<TEvents> {
  constructor(
    private readonly record: (broadcast: FakeBroadcast) => void,
    private readonly route: Route = { targets: [], except: [], volatile: false, binary: false },
  ) {}

  to(target: Target): BroadcastOperator<TEvents> {
    return this.with({ targets: [...this.route.targets, target] });
  }

  in(target: Target): BroadcastOperator<TEvents> {
    return this.to(target);
  }

  except(roomOrId: string): BroadcastOperator<TEvents> {
    return this.with({ except: [...this.route.except, roomOrId] });
  }

  get volatile(): BroadcastOperator<TEvents> {
    return this.with({ volatile: true });
  }

  get binary(): BroadcastOperator<TEvents> {
    return this.with({ binary: true });
  }

  emit<K extends EventName<ToClientEvents<TEvents>>>(
    event: K,
    ...args: EventArgs<ToClientEvents<TEvents>[K]>
  ): void {
    this.record({ kind: 'emit', ...this.route, event, value: args[0] });
  }

  emitMessage(data: string | Uint8Array): void {
    this.record({ kind: 'emitMessage', ...this.route, data });
  }

  request<K extends EventName<RequestsToClient<TEvents>>>(
    event: K,
    ...args: RequestArgs<RequestsToClient<TEvents>, K, BroadcastRequestOptions>
  ): Promise<BroadcastRequestResult<RequestReply<RequestsToClient<TEvents>, K>>> {
    const [value, options] = args as [unknown, BroadcastRequestOptions | undefined];
    this.record({ kind: 'request', ...this.route, event, value, options });
    return Promise.resolve({ replies: new Map(), errors: new Map(), missing: [], partial: false });
  }

  private with(change: Partial<Route>): FakeBroadcastOperator<TEvents> {
    return new FakeBroadcastOperator<TEvents>(this.record, { ...this.route, ...change });
  }
}
