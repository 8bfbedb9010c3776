/**
 * Without recovery, the client asks for its id (`ws-rooms-identity=1`) and is ready (`'open'`,
 * `onConnect`, sends leave the buffer) once the server's `ws-rooms:identity` arrived, so that `id`
 * is the connection's from the first `onConnect` on; a server that does not send it is detected by
 * its first other message or by `sessionTimeout`. Driven with the fake socket and the fake clock.
 */
import type { WsRoomsClientError } from './client-errors';
import type { WsRoomsClientOptions } from './client-options';
import { createFakeWebSocket } from './testing/fake-websocket';
import { FakeTimers } from './testing/fake-timers';
import { WsRoomsClient, type ClientState } from './ws-rooms-client';

const P = 'iris-websocket-message:';
const identity = (body: unknown) => `${P}ws-rooms:identity;4;${JSON.stringify(body)}`;

function identifying(options: WsRoomsClientOptions = {}) {
  const kit = createFakeWebSocket();
  const timers = new FakeTimers();
  const client = new WsRoomsClient('ws://server/chat?token=a', {
    WebSocket: kit.WebSocket,
    timers,
    reconnect: { initialDelay: 100, jitter: false },
    ...options,
  });
  /** What happened, in order: connects with the id then, disconnects, errors. */
  const log: string[] = [];
  client.onConnect(() => log.push(`connect ${client.id}`));
  client.onDisconnect(() => log.push(`disconnect ${client.id}`));
  client.onError((error: WsRoomsClientError) => log.push(`error ${error.code}`));
  const states: ClientState[] = [];
  client.onStateChange((state) => states.push(state));
  return { client, kit, timers, log, states };
}

describe('WsRoomsClient identity (without recovery)', () => {
  it('asks for its id in the URL, keeping the query, and only once', () => {
    const { kit } = identifying();
    expect(kit.last.url).toBe('ws://server/chat?token=a&ws-rooms-identity=1');
    const again = createFakeWebSocket();
    const other = new WsRoomsClient('ws://server/chat?ws-rooms-identity=0#x', {
      WebSocket: again.WebSocket,
    });
    expect(again.last.url).toBe('ws://server/chat?ws-rooms-identity=1#x');
    other.close();
  });

  it('becomes open with its id when the identity arrives, not when the socket opens', () => {
    const { client, kit, log, states } = identifying();
    client.emit('early', 1);
    kit.last.acceptOpen(null);
    expect(client.state).toBe('connecting');
    expect(client.id).toBeUndefined();
    client.emit('after-open', 2);
    expect(kit.last.sent).toEqual([]);
    client.onConnect(() => client.emit('from-connect', 3));
    kit.last.receive(identity({ id: 'me' }));
    expect(log).toEqual(['connect me']);
    expect(states).toEqual(['open']);
    expect(client.id).toBe('me');
    expect(kit.last.sent).toEqual([`${P}from-connect;1;3`, `${P}early;1;1`, `${P}after-open;1;2`]);
  });

  it('has the new id in the onConnect after a reconnect; the previous one while reconnecting', () => {
    const { client, kit, timers, log } = identifying();
    kit.last.acceptOpen('first');
    kit.last.dropConnection();
    expect(client.state).toBe('reconnecting');
    expect(client.id).toBe('first');
    timers.runNext();
    kit.last.acceptOpen(null);
    expect(client.id).toBe('first');
    kit.last.receive(identity({ id: 'second' }));
    expect(log).toEqual(['connect first', 'disconnect first', 'connect second']);
  });

  it('against a server that does not tell the id, its first message makes the client ready', () => {
    const { client, kit, log } = identifying();
    const chats: unknown[] = [];
    client.on('chat', (value) => chats.push(value));
    client.emit('buffered', 1);
    kit.last.acceptOpen(null);
    kit.last.receive(`${P}chat;0;hello`);
    expect(log).toEqual(['connect undefined', 'error WS_ROOMS_CLIENT_NO_IDENTITY']);
    expect(chats).toEqual(['hello']);
    expect(kit.last.sent).toEqual([`${P}buffered;1;1`]);
  });

  it('against a silent server, sessionTimeout makes the client ready', () => {
    const { client, kit, timers, log } = identifying({ sessionTimeout: 300 });
    kit.last.acceptOpen(null);
    timers.advance(299);
    expect(client.state).toBe('connecting');
    timers.advance(1);
    expect(client.state).toBe('open');
    expect(log).toEqual(['connect undefined', 'error WS_ROOMS_CLIENT_NO_IDENTITY']);
  });

  it('a malformed identity still makes the client ready, and says so', () => {
    const { client, kit, timers, log } = identifying();
    kit.last.acceptOpen(null);
    kit.last.receive(identity({ id: 7 }));
    expect(client.state).toBe('open');
    expect(client.id).toBeUndefined();
    expect(log).toEqual(['connect undefined', 'error WS_ROOMS_INVALID_PAYLOAD']);
    timers.advance(10_000);
    expect(log).toHaveLength(2);
  });

  it('reads only { id } with a non-empty string id; any other payload leaves the id as it was', () => {
    const { client, kit, log } = identifying();
    kit.last.acceptOpen('me');
    for (const payload of [[], 'me2', 42, null, {}, { id: '' }, { id: ['x'] }]) {
      kit.last.receive(identity(payload));
    }
    kit.last.receive(`${P}ws-rooms:identity;0;{"id":"text"}`);
    expect(client.id).toBe('me');
    expect(log).toEqual(['connect me', ...Array(8).fill('error WS_ROOMS_INVALID_PAYLOAD')]);
  });

  it('with identity false, asks nothing and is open at the socket open', () => {
    const { client, kit, log } = identifying({ identity: false });
    expect(kit.last.url).toBe('ws://server/chat?token=a');
    kit.last.acceptOpen();
    expect(client.state).toBe('open');
    expect(log).toEqual(['connect undefined']);
    kit.last.receive(identity({ id: 'ignored' }));
    expect(client.id).toBeUndefined();
  });
});
