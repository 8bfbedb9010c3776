import { ReservedEvent } from '../protocol/protocol.constants';
import type { ClientDecodedValue, ParseResult } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import type { ResolvedClientOptions } from './client-options';
import type { Attempt } from './connection-attempt';
import type { ErrorReporter } from './error-reporter';
import { ListenerRegistry } from './listener-registry';
import { OneShotTimer } from './one-shot-timer';
import { RecoverySession, type RecoveryResult } from './recovery-session';

/** What the greeting needs from the client. */
export interface GreetingPorts {
  /** The client's current attempt. */
  current(): Attempt | null;
  /** Makes the attempt ready (`'open'`, `onConnect`), then runs `then`, then flushes the outbox. */
  announce(attempt: Attempt, then?: () => void): void;
  /** Empties the presence view (a connection that did not get its rooms back). */
  forgetPresence(): void;
}

/**
 * When an open socket becomes a ready connection. Without recovery, at once. With recovery, once
 * the server's session (`ws-rooms:session`, its first message) told the id and whether the rooms are
 * back; a server that sends anything else first, or nothing within `sessionTimeout`, has no session
 * to give, and the connection is ready without one (`WS_ROOMS_CLIENT_NO_SESSION`). It also keeps
 * the session between connections: the URL parameters that resume it, and the offsets already
 * delivered.
 */
export class ConnectionGreeting {
  /** The `onRecovery` listeners. */
  readonly recoveryListeners = new ListenerRegistry<[RecoveryResult]>();
  /** The recovery state; null when the `recovery` option is off. */
  private readonly session: RecoverySession | null;
  /** Bounds the wait for the server's session after the socket opened. */
  private readonly timer: OneShotTimer;

  constructor(
    private readonly options: Pick<ResolvedClientOptions, 'recovery' | 'sessionTimeout' | 'timers'>,
    private readonly errors: ErrorReporter,
    private readonly ports: GreetingPorts,
  ) {
    this.session = options.recovery ? new RecoverySession() : null;
    this.timer = new OneShotTimer(options.timers);
  }

  /** The connection id the server told (see `WsRoomsClient.id`). */
  get id(): string | undefined {
    return this.session?.id;
  }

  /** Whether the client asks for recovery (a new connection may get its rooms back). */
  get recovering(): boolean {
    return this.session !== null;
  }

  /** The URL of the next attempt, with what it asks of the server. */
  decorate(url: string): string {
    return this.session === null ? url : this.session.decorate(url);
  }

  /** Exactly-once delivery of numbered broadcasts (always true without recovery). */
  acceptOffset(offset: number): boolean {
    return this.session === null || this.session.accept(offset);
  }

  /** The attempt's socket opened. */
  opened(attempt: Attempt): void {
    if (this.session === null) {
      this.ready(attempt);
      return;
    }
    // The id, and whether the rooms are back, come with the session: the first message of a server
    // with recovery on. Until then the connection is not ready and sends go to the buffer.
    this.timer.start(this.options.sessionTimeout, () => this.noSession(attempt));
  }

  /** A message arrived on the attempt, before it is dispatched. */
  received(attempt: Attempt, parsed: ParseResult): void {
    // With recovery the session comes first: any other message means that none is coming.
    if (attempt.announced) return;
    if (parsed.kind === 'event' && parsed.event === ReservedEvent.Session) return;
    this.noSession(attempt);
  }

  /** The server's `ws-rooms:session`: the connection is ready once it is applied. */
  receiveSession(value: ClientDecodedValue): void {
    const attempt = this.ports.current() as Attempt;
    const result = this.session?.apply(value);
    if (result === undefined) {
      // A session came, unreadable: the connection still works, without what it would have said.
      if (!attempt.announced) this.ready(attempt);
      this.errors.invalidReserved(ReservedEvent.Session, '{ id, token, offset, recovered }');
      return;
    }
    if (!result.recovered) this.ports.forgetPresence();
    const tell = () => this.recoveryListeners.emit(this.errors.listenerFailed, result);
    if (attempt.announced) tell();
    else this.ready(attempt, tell);
  }

  /** The attempt ended: nothing to wait for any more. */
  stop(): void {
    this.timer.clear();
  }

  /** A deliberate close: the server keeps nothing to resume, the next connection starts afresh. */
  end(): void {
    this.timer.clear();
    this.session?.reset();
  }

  private ready(attempt: Attempt, then?: () => void): void {
    this.timer.clear();
    this.ports.announce(attempt, then);
  }

  /** A server that answered recovery with no session (its recovery is off): ready without one. */
  private noSession(attempt: Attempt): void {
    if (attempt !== this.ports.current() || attempt.announced) return;
    this.ready(attempt);
    this.errors.report(
      new WsRoomsClientError(
        WsRoomsClientErrorCode.NoSession,
        'The server opened the connection without a recovery session (is its recovery option ' +
          'on?): connected without an id and without recovery',
      ),
    );
  }
}
