import { IDENTITY_QUERY_PARAMETER, ReservedEvent } from '../protocol/protocol.constants';
import type { ClientDecodedValue, ParseResult } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import type { ResolvedClientOptions } from './client-options';
import type { Attempt } from './connection-attempt';
import type { ErrorReporter } from './error-reporter';
import { ListenerRegistry } from './listener-registry';
import { OneShotTimer } from './one-shot-timer';
import { RecoverySession, type RecoveryResult } from './recovery-session';
import { withQueryParameters } from './url-query';

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
 * When an open socket becomes a ready connection, and what the server said first. With recovery,
 * once the server's session (`ws-rooms:session`) told the id and whether the rooms are back; with
 * the `identity` option, once the server told the id (`ws-rooms:identity`); with neither, at once.
 * A server that sends anything else first, or nothing within `sessionTimeout`, has nothing to say:
 * the connection is ready without it (`WS_ROOMS_CLIENT_NO_SESSION`, `WS_ROOMS_CLIENT_NO_IDENTITY`).
 * It also keeps the session between connections: the URL parameters that resume it, and the
 * offsets already delivered.
 */
export class ConnectionGreeting {
  /** The `onRecovery` listeners. */
  readonly recoveryListeners = new ListenerRegistry<[RecoveryResult]>();
  /** The recovery state; null when the `recovery` option is off. */
  private readonly session: RecoverySession | null;
  /** The reserved event the client waits for after the socket opened; null when it waits for none. */
  private readonly awaited: string | null;
  /** The id from the last `ws-rooms:identity` (without recovery). */
  private identityId: string | undefined = undefined;
  /** Bounds the wait for the server's first message after the socket opened. */
  private readonly timer: OneShotTimer;

  constructor(
    private readonly options: Pick<
      ResolvedClientOptions,
      'recovery' | 'identity' | 'sessionTimeout' | 'timers'
    >,
    private readonly errors: ErrorReporter,
    private readonly ports: GreetingPorts,
  ) {
    this.session = options.recovery ? new RecoverySession() : null;
    this.awaited = options.recovery
      ? ReservedEvent.Session
      : options.identity
        ? ReservedEvent.Identity
        : null;
    this.timer = new OneShotTimer(options.timers);
  }

  /**
   * The connection id the server told (see `WsRoomsClient.id`): the session's with recovery, else
   * the last `ws-rooms:identity`'s.
   */
  get id(): string | undefined {
    return this.session === null ? this.identityId : this.session.id;
  }

  /** Whether the client asks for recovery (a new connection may get its rooms back). */
  get recovering(): boolean {
    return this.session !== null;
  }

  /** Whether the client asks for its id alone (`ws-rooms:identity`). */
  get identifying(): boolean {
    return this.awaited === ReservedEvent.Identity;
  }

  /** The URL of the next attempt, with what it asks of the server. */
  decorate(url: string): string {
    if (this.session !== null) return this.session.decorate(url);
    if (!this.identifying) return url;
    return withQueryParameters(url, (name) => name === IDENTITY_QUERY_PARAMETER, [
      `${IDENTITY_QUERY_PARAMETER}=1`,
    ]);
  }

  /** Exactly-once delivery of numbered broadcasts (always true without recovery). */
  acceptOffset(offset: number): boolean {
    return this.session === null || this.session.accept(offset);
  }

  /** The attempt's socket opened. */
  opened(attempt: Attempt): void {
    if (this.awaited === null) {
      this.ready(attempt);
      return;
    }
    // The id (and, with recovery, whether the rooms are back) comes first from the server. Until
    // then the connection is not ready and sends go to the buffer.
    this.timer.start(this.options.sessionTimeout, () => this.nothingSaid(attempt));
  }

  /** A message arrived on the attempt, before it is dispatched. */
  received(attempt: Attempt, parsed: ParseResult): void {
    // What the client waits for comes first: any other message means that it is not coming.
    if (attempt.announced) return;
    if (parsed.kind === 'event' && parsed.event === this.awaited) return;
    this.nothingSaid(attempt);
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

  /** The server's `ws-rooms:identity`: the connection is ready once its id is known. */
  receiveIdentity(value: ClientDecodedValue): void {
    const attempt = this.ports.current() as Attempt;
    const id = identityOf(value);
    if (id !== undefined) this.identityId = id;
    if (!attempt.announced) this.ready(attempt);
    if (id === undefined) this.errors.invalidReserved(ReservedEvent.Identity, '{ id }');
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

  /** The server opened without what the client asked for: ready without it, and says why. */
  private nothingSaid(attempt: Attempt): void {
    if (attempt !== this.ports.current() || attempt.announced) return;
    this.ready(attempt);
    this.errors.report(
      this.session !== null
        ? new WsRoomsClientError(
            WsRoomsClientErrorCode.NoSession,
            'The server opened the connection without a recovery session (is its recovery option ' +
              'on?): connected without an id and without recovery',
          )
        : new WsRoomsClientError(
            WsRoomsClientErrorCode.NoIdentity,
            'The server opened the connection without telling its id (ws-rooms:identity, sent by ' +
              'ws-rooms 0.2 and later): connected without an id; the identity option turns the ' +
              'wait off',
          ),
    );
  }
}

/** The id of a `ws-rooms:identity` payload `{ id }`, or undefined for any other shape. */
function identityOf(value: ClientDecodedValue): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (value instanceof Uint8Array) return undefined;
  const { id } = value as Record<string, unknown>;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}
