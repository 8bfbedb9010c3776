import { ReservedEvent } from '../protocol/protocol.constants';
import { ClientCodec } from './client-codec';
import type { ResolvedClientOptions } from './client-options';
import { ClientPresence } from './client-presence';
import { ClientRequests } from './client-requests';
import type { Attempt } from './connection-attempt';
import { ConnectionGreeting } from './connection-greeting';
import { ConnectionLoop } from './connection-loop';
import { ErrorReporter } from './error-reporter';
import { EventListeners } from './event-listeners';
import { Outbox } from './outbox';
import { RequestTracker } from './request-tracker';
import { resolveSocketUrl } from './socket-url';
import { ReadyState } from './websocket-like';

/** The parts of one `WsRoomsClient`, wired to each other. */
export interface ClientParts {
  readonly autoConnect: boolean;
  readonly codec: ClientCodec;
  readonly errors: ErrorReporter;
  readonly events: EventListeners;
  readonly presence: ClientPresence;
  readonly outbox: Outbox;
  readonly requests: ClientRequests;
  readonly greeting: ConnectionGreeting;
  readonly loop: ConnectionLoop;
}

/**
 * Builds the parts of a client and wires them: the loop's socket events go to the greeting (when a
 * connection is ready), the listeners (what the server sends), the requests and the outbox; each
 * reserved event goes to the part that owns it. The parts never see the facade.
 */
export function createClientParts(
  url: string | (() => string),
  resolved: ResolvedClientOptions,
): ClientParts {
  const codec = new ClientCodec(resolved.prefix, resolved.limits);
  const errors = new ErrorReporter(resolved.timers);
  const presence = new ClientPresence(errors);
  const current = () => loop.current;
  const tracker = new RequestTracker(resolved.timers, (expired) => outbox.remove(expired));
  const outbox = new Outbox(
    resolved.sendBufferSize,
    resolved.sendBufferPolicy,
    tracker,
    errors,
    current,
  );
  const requests = new ClientRequests(codec, tracker, outbox, errors, resolved.requestTimeout);
  const greeting = new ConnectionGreeting(resolved, errors, {
    current,
    announce: (attempt, then) => loop.announce(attempt, then),
    forgetPresence: () => presence.forget(),
  });
  const events = new EventListeners(codec, errors, (offset) => greeting.acceptOffset(offset));
  const loop: ConnectionLoop = new ConnectionLoop(resolved, errors, {
    url: () => greeting.decorate(resolveSocketUrl(typeof url === 'function' ? url() : url)),
    opened: (attempt) => greeting.opened(attempt),
    message: (attempt, data) => {
      const parsed = codec.parse(data);
      greeting.received(attempt, parsed);
      if (attempt === loop.current) events.receive(parsed);
    },
    lost: (attempt) => {
      greeting.stop();
      requests.abortCarried(attempt);
      // Without recovery a new connection has no rooms; with it, the view waits for the session.
      if (!greeting.recovering && attempt.opened) presence.forget();
    },
    stopped: () => {
      requests.abortAll();
      presence.forget();
    },
    ended: () => greeting.end(),
    ready: (attempt) => outbox.flush(attempt),
  });
  const reserved = events.reserved;
  reserved.register(ReservedEvent.Error, (value) => errors.serverError(value));
  reserved.register(ReservedEvent.Reply, (value) => requests.receiveReply(value));
  reserved.register(ReservedEvent.Request, (value) => {
    // Answered on the connection the request came from, if it is still open then.
    const attempt = loop.current as Attempt;
    requests.receiveRequest(value, (data) => {
      if (attempt === loop.current && attempt.socket.readyState === ReadyState.Open) {
        attempt.socket.send(data);
      }
    });
  });
  reserved.register(ReservedEvent.Presence, (value) => presence.receive(value));
  if (greeting.recovering) {
    reserved.register(ReservedEvent.Session, (value) => greeting.receiveSession(value));
  }
  if (greeting.identifying) {
    reserved.register(ReservedEvent.Identity, (value) => greeting.receiveIdentity(value));
  }
  return {
    autoConnect: resolved.autoConnect,
    codec,
    errors,
    events,
    presence,
    outbox,
    requests,
    greeting,
    loop,
  };
}
