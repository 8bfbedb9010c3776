import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import type { ResolvedClientOptions } from './client-options';
import type { ClientState, DisconnectInfo } from './client-types';
import { closeQuietly, detach, startAttempt, type Attempt } from './connection-attempt';
import type { ErrorReporter } from './error-reporter';
import { ListenerRegistry } from './listener-registry';
import type { CloseDetails } from './reconnect-policy';
import { ReconnectScheduler } from './reconnect-scheduler';
import type { CloseEventLike, WebSocketLike } from './websocket-like';

const ABNORMAL_CLOSURE = 1006;

/** What the loop tells the rest of the client. */
export interface LoopPorts {
  /** The URL of the next attempt; may throw (a malformed URL). */
  url(): string;
  /** The attempt's socket opened: the greeting decides when it is ready. */
  opened(attempt: Attempt): void;
  /** A message arrived on the current attempt. */
  message(attempt: Attempt, data: unknown): void;
  /** The current attempt's socket closed, before the state changes and listeners hear of it. */
  lost(attempt: Attempt): void;
  /** The client is about to be `'closed'` (before state listeners run). */
  stopped(): void;
  /** `close()` was called: a deliberate end. */
  ended(): void;
  /** The attempt is ready and its listeners ran: what waited may go out. */
  ready(attempt: Attempt): void;
}

/**
 * The connection and its reconnect loop: one attempt at a time, the client's state, the backoff
 * between attempts, and the `onConnect`, `onDisconnect` and `onStateChange` listeners. Each
 * `onConnect` is followed by exactly one `onDisconnect`; attempts that fail before being ready only
 * change the state.
 */
export class ConnectionLoop {
  /** The `onStateChange` listeners. */
  readonly stateListeners = new ListenerRegistry<[ClientState, ClientState]>();
  /** The `onConnect` listeners. */
  readonly connectListeners = new ListenerRegistry<[]>();
  /** The `onDisconnect` listeners. */
  readonly disconnectListeners = new ListenerRegistry<[DisconnectInfo]>();
  private readonly reconnect: ReconnectScheduler;
  private currentState: ClientState = 'closed';
  private attempt: Attempt | null = null;

  constructor(
    private readonly options: Pick<
      ResolvedClientOptions,
      'reconnect' | 'timers' | 'WebSocket' | 'protocols'
    >,
    private readonly errors: ErrorReporter,
    private readonly ports: LoopPorts,
  ) {
    this.reconnect = new ReconnectScheduler(
      options.reconnect,
      options.timers,
      errors.listenerFailed,
    );
  }

  /** The client's state. */
  get state(): ClientState {
    return this.currentState;
  }

  /** The current attempt, ready or not. */
  get current(): Attempt | null {
    return this.attempt;
  }

  /** See `WsRoomsClient.connect`. */
  connect(): void {
    if (this.attempt !== null) return;
    if (this.currentState === 'reconnecting') {
      this.reconnect.cancelRetry();
      this.openSocket();
      return;
    }
    this.reconnect.restart();
    this.setState('connecting');
    this.openSocket();
  }

  /** See `WsRoomsClient.close`; the arguments are checked already. */
  close(code: number, reason: string): void {
    this.reconnect.stop();
    const attempt = this.attempt;
    this.attempt = null;
    if (attempt !== null) {
      detach(attempt.socket);
      closeQuietly(attempt.socket, code, reason);
    }
    this.ports.ended();
    this.setState('closed');
    if (attempt?.announced) {
      this.disconnectListeners.emit(this.errors.listenerFailed, {
        code,
        reason,
        wasClean: true,
        willReconnect: false,
      });
    }
  }

  /**
   * The connection is ready: the client is `'open'`, `onConnect` listeners run, then `then` (the
   * recovery listeners), then the messages buffered meanwhile go out, after what those sent.
   */
  announce(attempt: Attempt, then?: () => void): void {
    this.setState('open');
    // A state listener may have closed the client already; then there is no connection to announce.
    if (attempt !== this.attempt) return;
    attempt.announced = true;
    this.connectListeners.emit(this.errors.listenerFailed);
    then?.();
    this.ports.ready(attempt);
  }

  private openSocket(): void {
    let socket: WebSocketLike;
    try {
      const url = this.ports.url();
      const { WebSocket: Implementation, protocols } = this.options;
      socket =
        protocols === undefined ? new Implementation(url) : new Implementation(url, protocols);
    } catch (error) {
      // A malformed URL or a refused protocol list: every retry would throw the same way.
      this.setState('closed');
      this.errors.report(
        new WsRoomsClientError(
          WsRoomsClientErrorCode.ConnectFailed,
          `Cannot open a WebSocket: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        ),
      );
      return;
    }
    const attempt: Attempt = startAttempt(socket, {
      open: () => this.handleOpen(attempt),
      message: (data) => {
        if (attempt === this.attempt) this.ports.message(attempt, data);
      },
      close: (event) => this.handleClose(attempt, event),
    });
    this.attempt = attempt;
  }

  private handleOpen(attempt: Attempt): void {
    if (attempt !== this.attempt) return;
    attempt.opened = true;
    this.reconnect.opened();
    this.ports.opened(attempt);
  }

  private handleClose(attempt: Attempt, event: CloseEventLike): void {
    if (attempt !== this.attempt) return;
    this.attempt = null;
    detach(attempt.socket);
    this.ports.lost(attempt);
    const details: CloseDetails = {
      code: typeof event.code === 'number' ? event.code : ABNORMAL_CLOSURE,
      reason: typeof event.reason === 'string' ? event.reason : '',
      wasClean: event.wasClean === true,
      opened: attempt.opened,
      handshakeStatus: attempt.handshakeStatus,
    };
    const decision = this.reconnect.decide(details);
    if (decision.reconnect) {
      // The retry is scheduled before listeners hear of the state, so that a listener calling
      // close() or connect() finds it and cancels or replaces it.
      this.reconnect.schedule(details, () => this.openSocket());
      this.setState('reconnecting');
    } else {
      this.setState('closed');
    }
    if (attempt.announced) {
      this.disconnectListeners.emit(this.errors.listenerFailed, {
        code: details.code,
        reason: details.reason,
        wasClean: details.wasClean,
        // A state listener may already have called close() or connect(): report what will happen.
        willReconnect: this.currentState !== 'closed',
      });
    }
    if (decision.error !== undefined) this.errors.report(decision.error);
  }

  private setState(state: ClientState): void {
    const previous = this.currentState;
    if (previous === state) return;
    this.currentState = state;
    // Before the listeners, so that a listener calling connect() and then request() is unaffected.
    if (state === 'closed') this.ports.stopped();
    this.stateListeners.emit(this.errors.listenerFailed, state, previous);
  }
}
