import type { WsRoomsClientError } from './client-errors';
import { FakeTimers } from './testing/fake-timers';
import { createFakeWebSocket } from './testing/fake-websocket';
import { WsRoomsClient, type WsRoomsClientOptions } from './index';

const P = 'iris-websocket-message:';

/** An open client on a scripted socket, with the values and errors it reported. */
function openClient(options: WsRoomsClientOptions = {}) {
  const kit = createFakeWebSocket();
  const client = new WsRoomsClient('ws://server/chat', {
    WebSocket: kit.WebSocket,
    timers: new FakeTimers(),
    // The scripted server's first message (the id) would count against the tiny limits below.
    identity: false,
    ...options,
  });
  const values: unknown[] = [];
  const errors: WsRoomsClientError[] = [];
  client.on('data', (value) => values.push(value));
  client.onError((error) => errors.push(error));
  kit.last.acceptOpen();
  return { client, socket: kit.last, values, errors };
}

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('WsRoomsClient decode limits (the limits option)', () => {
  it('accepts by default what the default limits allow (depth 256)', () => {
    const { socket, values, errors } = openClient();
    socket.receive(`${P}data;4;${nested(256)}`);
    expect(errors).toEqual([]);
    expect(values).toHaveLength(1);
  });

  it('drops and reports a payload beyond a configured limit; the others are kept', () => {
    const { client, socket, values, errors } = openClient({
      limits: { maxJsonDepth: 2, maxJsonStringLength: 3 },
    });
    socket.receive(`${P}data;4;${nested(3)}`);
    socket.receive(`${P}data;4;["abcd"]`);
    socket.receive(`${P}data;4;[["abc"]]`);
    expect(values).toEqual([[['abc']]]);
    expect(errors.map((error) => error.code)).toEqual([
      'WS_ROOMS_JSON_TOO_DEEP',
      'WS_ROOMS_JSON_TOO_LARGE',
    ]);
    expect(client.state).toBe('open');
  });

  it('bounds the values count, and Infinity lifts a bound', () => {
    const few = openClient({ limits: { maxJsonValues: 3 } });
    few.socket.receive(`${P}data;4;[1,2,3]`);
    expect(few.errors.map((error) => error.code)).toEqual(['WS_ROOMS_JSON_TOO_LARGE']);
    const deep = openClient({ limits: { maxJsonDepth: Infinity } });
    deep.socket.receive(`${P}data;4;${nested(300)}`);
    expect(deep.errors).toEqual([]);
    expect(deep.values).toHaveLength(1);
  });
});
