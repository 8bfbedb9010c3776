/**
 * The client's side of the server's flood policy (issue 15): an excess message is answered with a
 * `ws-rooms:error` `WS_ROOMS_RATE_LIMITED` (the connection stays), a sustained flood is closed with
 * 1013 (Try Again Later), which the client retries after the longer `tryAgainLaterDelay`; a 1008 is
 * still never retried. Driven with the fake socket and the fake clock.
 */
import { WsRoomsErrorCode } from '../errors/error-codes';
import type { WsRoomsClientError, WsRoomsServerError } from './client-errors';
import type { WsRoomsClientOptions } from './client-options';
import { createFakeWebSocket } from './testing/fake-websocket';
import { FakeTimers } from './testing/fake-timers';
import { WsRoomsClient, type DisconnectInfo } from './ws-rooms-client';

const P = 'iris-websocket-message:';
const rateLimited = (event: string) =>
  `${P}ws-rooms:error;4;${JSON.stringify({
    code: WsRoomsErrorCode.RateLimited,
    message: 'message rate exceeded: message dropped',
    event,
  })}`;

function open(options: WsRoomsClientOptions = {}) {
  const kit = createFakeWebSocket();
  const timers = new FakeTimers();
  const client = new WsRoomsClient('ws://server/chat', {
    WebSocket: kit.WebSocket,
    timers,
    ...options,
  });
  kit.last.acceptOpen();
  const serverErrors: WsRoomsServerError[] = [];
  const errors: WsRoomsClientError[] = [];
  const disconnects: DisconnectInfo[] = [];
  client.onServerError((error) => serverErrors.push(error));
  client.onError((error) => errors.push(error));
  client.onDisconnect((info) => disconnects.push(info));
  return { client, kit, timers, serverErrors, errors, disconnects };
}

describe('WsRoomsClient and the flood policy', () => {
  it('hands a rate-limit error to onServerError, and the connection stays open', () => {
    const { client, kit, serverErrors, errors } = open();
    client.emit('chat', 'one too many');
    kit.last.receive(rateLimited('chat'));
    expect(serverErrors).toHaveLength(1);
    expect(serverErrors[0]).toMatchObject({
      name: 'WsRoomsServerError',
      code: 'WS_ROOMS_RATE_LIMITED',
      event: 'chat',
    });
    expect(errors).toEqual([]);
    expect(client.state).toBe('open');
    client.emit('chat', 'later');
    expect(kit.last.sent).toEqual([`${P}chat;0;one too many`, `${P}chat;0;later`]);
  });

  it('comes back after a 1013 close, after at least tryAgainLaterDelay', () => {
    const { client, kit, timers, disconnects } = open({ reconnect: { jitter: false } });
    kit.last.serverClose(1013, 'message flood');
    expect(disconnects).toEqual([
      { code: 1013, reason: 'message flood', wasClean: true, willReconnect: true },
    ]);
    expect(client.state).toBe('reconnecting');
    expect(timers.pendingDelays).toEqual([5000]);
    timers.advance(4999);
    expect(kit.sockets).toHaveLength(1);
    timers.advance(1);
    expect(kit.sockets).toHaveLength(2);
  });

  it('jitters the 1013 wait over [tryAgainLaterDelay, twice that)', () => {
    const delays: number[] = [];
    for (const random of [0, 0.25, 0.999]) {
      const { kit, timers } = open({ reconnect: { tryAgainLaterDelay: 2000 } });
      timers.defaultRandom = random;
      kit.last.serverClose(1013);
      delays.push(...timers.pendingDelays);
    }
    expect(delays).toEqual([2000, 2500, 3998]);
  });

  it('an ordinary drop still retries after the short backoff delay', () => {
    const { kit, timers } = open({ reconnect: { jitter: false } });
    kit.last.dropConnection();
    expect(timers.pendingDelays).toEqual([100]);
  });

  it('does not reconnect after 1008 (a refusal by policy)', () => {
    const { client, kit, timers, disconnects } = open();
    kit.last.serverClose(1008, 'slow consumer');
    expect(client.state).toBe('closed');
    expect(disconnects).toEqual([
      { code: 1008, reason: 'slow consumer', wasClean: true, willReconnect: false },
    ]);
    expect(timers.pendingDelays).toEqual([]);
  });

  it('checks tryAgainLaterDelay', () => {
    const { WebSocket } = createFakeWebSocket();
    for (const tryAgainLaterDelay of [-1, Number.NaN, Infinity, 2 ** 30, '5']) {
      expect(
        () =>
          new WsRoomsClient('ws://server', {
            WebSocket,
            reconnect: { tryAgainLaterDelay: tryAgainLaterDelay as number },
          }),
      ).toThrow(/^Invalid option reconnect\.tryAgainLaterDelay: .* \(expected a number >= 0/);
    }
  });
});
