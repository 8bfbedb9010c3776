/**
 * With `recovery`, the client is ready (`'open'`, `onConnect`, sends leave the buffer) once the
 * server's session arrived, so that `id` is the connection's from the first `onConnect` on; a
 * server that sends no session (recovery off) is detected by its first other message or by
 * `sessionTimeout`. Driven with the fake socket and the fake clock.
 */
import type { WsRoomsClientError } from './client-errors';
import type { WsRoomsClientOptions } from './client-options';
import type { RecoveryResult } from './recovery-session';
import { createFakeWebSocket } from './testing/fake-websocket';
import { FakeTimers } from './testing/fake-timers';
import { WsRoomsClient, type ClientState } from './ws-rooms-client';

const P = 'iris-websocket-message:';
const session = (body: object) => `${P}ws-rooms:session;4;${JSON.stringify(body)}`;

function recovering(options: WsRoomsClientOptions = {}) {
  const kit = createFakeWebSocket();
  const timers = new FakeTimers();
  const client = new WsRoomsClient('ws://server/chat', {
    WebSocket: kit.WebSocket,
    timers,
    recovery: true,
    reconnect: { initialDelay: 100, jitter: false },
    ...options,
  });
  /** What happened, in order: connects with the id then, recoveries, errors, states. */
  const log: string[] = [];
  client.onConnect(() => log.push(`connect ${client.id}`));
  client.onRecovery((result: RecoveryResult) => log.push(`recovery ${result.status} ${result.id}`));
  client.onError((error: WsRoomsClientError) => log.push(`error ${error.code}`));
  const states: ClientState[] = [];
  client.onStateChange((state) => states.push(state));
  return { client, kit, timers, log, states };
}

describe('WsRoomsClient readiness with recovery', () => {
  it('becomes open with its id when the session arrives, not when the socket opens', () => {
    const { client, kit, log, states } = recovering();
    client.emit('early', 1);
    kit.last.acceptOpen();
    expect(client.state).toBe('connecting');
    expect(log).toEqual([]);
    client.emit('after-open', 2);
    // Nothing leaves before the session: the buffer keeps the order of the calls.
    expect(kit.last.sent).toEqual([]);
    client.onConnect(() => client.emit('from-connect', 3));
    kit.last.receive(session({ id: 'me', token: 't', offset: 0, recovered: false }));
    expect(log).toEqual(['connect me', 'recovery fresh me']);
    expect(states).toEqual(['open']);
    expect(kit.last.sent).toEqual([`${P}from-connect;1;3`, `${P}early;1;1`, `${P}after-open;1;2`]);
  });

  it('sends what onRecovery listeners send before the buffered messages', () => {
    const { client, kit } = recovering();
    client.emit('chat', 'buffered');
    client.onRecovery((result) => {
      if (!result.recovered) client.emit('join', 'lobby');
    });
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'me', token: 't', offset: 0, recovered: false }));
    expect(kit.last.sent).toEqual([`${P}join;0;lobby`, `${P}chat;0;buffered`]);
  });

  it('after a failed resume, onConnect sees the new id; the previous one while reconnecting', () => {
    const { client, kit, timers, log } = recovering();
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'old', token: 't', offset: 0, recovered: false }));
    kit.last.dropConnection();
    expect(client.id).toBe('old');
    timers.runNext();
    kit.last.acceptOpen();
    expect(client.id).toBe('old');
    kit.last.receive(session({ id: 'new', token: 't2', offset: 0, recovered: false, reason: 'x' }));
    expect(log).toEqual([
      'connect old',
      'recovery fresh old',
      'connect new',
      'recovery failed new',
    ]);
    expect(client.id).toBe('new');
  });

  it('keeps the id through a recovery', () => {
    const { kit, timers, log } = recovering();
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'me', token: 't', offset: 0, recovered: false }));
    kit.last.dropConnection();
    timers.runNext();
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'me', token: 't', recovered: true }));
    expect(log.slice(2)).toEqual(['connect me', 'recovery recovered me']);
  });

  it('against a server without recovery, its first message makes the client ready', () => {
    const { client, kit, log } = recovering();
    const chats: unknown[] = [];
    client.on('chat', (value) => chats.push(value));
    client.emit('buffered', 1);
    kit.last.acceptOpen();
    kit.last.receive(`${P}chat;0;hello`);
    expect(log).toEqual(['connect undefined', 'error WS_ROOMS_CLIENT_NO_SESSION']);
    expect(chats).toEqual(['hello']);
    expect(client.state).toBe('open');
    expect(kit.last.sent).toEqual([`${P}buffered;1;1`]);
  });

  it('against a silent server without recovery, sessionTimeout makes the client ready', () => {
    const { client, kit, timers, log } = recovering({ sessionTimeout: 300 });
    kit.last.acceptOpen();
    expect(timers.pendingDelays).toContain(300);
    timers.advance(299);
    expect(client.state).toBe('connecting');
    timers.advance(1);
    expect(client.state).toBe('open');
    expect(log).toEqual(['connect undefined', 'error WS_ROOMS_CLIENT_NO_SESSION']);
  });

  it('a malformed session still makes the client ready, and says so', () => {
    const { client, kit, timers, log } = recovering();
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'x' }));
    expect(client.state).toBe('open');
    expect(log).toEqual(['connect undefined', 'error WS_ROOMS_INVALID_PAYLOAD']);
    timers.advance(10_000);
    expect(log).toHaveLength(2);
  });

  it('a close while waiting announces nothing, and the wait ends with it', () => {
    const { client, kit, timers, log, states } = recovering();
    kit.last.acceptOpen();
    client.close();
    timers.advance(10_000);
    expect(log).toEqual([]);
    expect(states).toEqual(['closed']);
  });

  it('a drop while waiting retries without having announced a connection', () => {
    const { client, kit, timers, log } = recovering();
    const disconnects: unknown[] = [];
    client.onDisconnect((info) => disconnects.push(info));
    kit.last.acceptOpen();
    kit.last.dropConnection();
    expect(client.state).toBe('reconnecting');
    expect(disconnects).toEqual([]);
    timers.runNext();
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'me', token: 't', offset: 0, recovered: false }));
    expect(log).toEqual(['connect me', 'recovery fresh me']);
  });

  it('without recovery and without identity, is open at the socket open, without an id', () => {
    const { client, kit, log } = recovering({ recovery: false, identity: false });
    kit.last.acceptOpen();
    expect(client.state).toBe('open');
    expect(log).toEqual(['connect undefined']);
  });
});
