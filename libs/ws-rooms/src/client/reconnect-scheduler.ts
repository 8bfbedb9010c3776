import { Backoff } from './backoff';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import type { ClientTimers, ResolvedReconnectOptions } from './client-options';
import { OneShotTimer } from './one-shot-timer';
import {
  isRetryableHandshakeStatus,
  TRY_AGAIN_LATER_CLOSE_CODE,
  type CloseDetails,
} from './reconnect-policy';

/** Whether the client reconnects after an unexpected close, and why not when it does not. */
export interface ReconnectDecision {
  readonly reconnect: boolean;
  /** Why the client stops, when it stops without ever having opened (or on a refused handshake). */
  readonly error?: WsRoomsClientError;
}

/**
 * When and whether the client tries again: the backoff schedule, the pending retry, the count of
 * consecutive attempts that never opened, and the rule for a server that asked to be left alone for
 * a while (close code 1013). With reconnection off (`options` null) it never schedules anything.
 */
export class ReconnectScheduler {
  private readonly backoff: Backoff | null;
  private readonly retryTimer: OneShotTimer;
  /** Only bookkeeping (see `resetAfter`): it must not keep a Node process alive on its own. */
  private readonly stableTimer: OneShotTimer;
  /** Consecutive attempts that ended before their socket opened. */
  private failedAttempts = 0;

  /**
   * @param policyFailed told when the application's `shouldReconnect` threw (it then counts as no).
   */
  constructor(
    private readonly options: ResolvedReconnectOptions | null,
    private readonly timers: ClientTimers,
    private readonly policyFailed: (error: unknown) => void,
  ) {
    this.backoff = options === null ? null : new Backoff({ ...options, random: timers.random });
    this.retryTimer = new OneShotTimer(timers);
    this.stableTimer = new OneShotTimer(timers, true);
  }

  /** Starts over: no failures counted, the schedule from its first delay (a fresh `connect()`). */
  restart(): void {
    this.failedAttempts = 0;
    this.backoff?.reset();
  }

  /**
   * A socket opened: failures count from 0 again, and the schedule starts over once the connection
   * stayed open `resetAfter` ms (resetting at once would let a server that accepts and drops at once
   * pull the client into a tight loop).
   */
  opened(): void {
    this.failedAttempts = 0;
    if (this.options === null) return;
    this.stableTimer.start(this.options.resetAfter, () => this.backoff?.reset());
  }

  /**
   * The decision for an unexpected close, in order: a refused handshake status, the switch, the
   * `shouldReconnect` policy, then the limit on attempts that never opened. Whenever the client
   * stops without ever having opened, the error says why.
   */
  decide(details: CloseDetails): ReconnectDecision {
    this.stableTimer.clear();
    if (!details.opened) this.failedAttempts++;
    const status = details.handshakeStatus;
    const refused =
      status !== undefined && !isRetryableHandshakeStatus(status)
        ? new WsRoomsClientError(
            WsRoomsClientErrorCode.HandshakeRefused,
            `The server refused the WebSocket handshake with HTTP status ${status}`,
            { status },
          )
        : undefined;
    const failedBeforeOpen = details.opened
      ? undefined
      : new WsRoomsClientError(
          WsRoomsClientErrorCode.ConnectFailed,
          status === undefined
            ? `The connection closed before opening (code ${details.code})`
            : `The server answered the WebSocket handshake with HTTP status ${status}`,
          { status },
        );
    const options = this.options;
    if (options === null || !this.ask(options.shouldReconnect, details)) {
      return { reconnect: false, error: refused ?? failedBeforeOpen };
    }
    if (!details.opened && this.failedAttempts >= options.maxFailedAttempts) {
      return {
        reconnect: false,
        error:
          refused ??
          new WsRoomsClientError(
            WsRoomsClientErrorCode.ReconnectGaveUp,
            `Gave up after ${this.failedAttempts} consecutive attempts that closed before opening ` +
              '(in a browser this is how a refused handshake shows, e.g. a 401 or 403)',
            { status },
          ),
      };
    }
    return { reconnect: true };
  }

  /**
   * Schedules the next attempt after a close the client decided to retry.
   * @returns the delay, in ms.
   */
  schedule(details: CloseDetails, attempt: () => void): number {
    const delay = this.delayAfter(details);
    this.retryTimer.start(delay, attempt);
    return delay;
  }

  /**
   * The delay before the next attempt: the backoff's, and after a 1013 (Try Again Later: the server
   * cut a sustained message flood, or is overloaded) at least `tryAgainLaterDelay`, plus up to as
   * much again at random with `jitter`, so that clients cut together do not come back together.
   */
  delayAfter(details: CloseDetails): number {
    const options = this.options as ResolvedReconnectOptions;
    const delay = (this.backoff as Backoff).next();
    if (details.code !== TRY_AGAIN_LATER_CLOSE_CODE) return delay;
    const floor = options.tryAgainLaterDelay;
    if (!options.jitter) return Math.max(delay, floor);
    // A misbehaving injected random (1, NaN, negative) must not push the delay outside the window.
    const random = this.timers.random();
    const unit = random >= 0 && random < 1 ? random : 0;
    return Math.max(delay, floor + Math.floor(unit * floor));
  }

  /** Cancels the pending retry, if any. */
  cancelRetry(): void {
    this.retryTimer.clear();
  }

  /** Cancels everything pending (a deliberate `close()`). */
  stop(): void {
    this.retryTimer.clear();
    this.stableTimer.clear();
  }

  /** Runs the application's policy inside a socket callback: an exception counts as "no". */
  private ask(policy: (close: CloseDetails) => boolean, details: CloseDetails): boolean {
    try {
      return policy(details) === true;
    } catch (error) {
      this.policyFailed(error);
      return false;
    }
  }
}
