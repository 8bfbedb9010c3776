import { WsRoomsClientErrorCode } from './client-errors';
import { Ws, type CompatWsOptions } from './compat-ws';
import { createFakeWebSocket, type FakeWebSocketKit } from './testing/fake-websocket';

const P = 'iris-websocket-message:';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function connect(
  url = 'ws://server/echo',
  prefix?: string | string[],
  options: CompatWsOptions = {},
): { ws: Ws; kit: FakeWebSocketKit; handlerErrors: unknown[] } {
  const kit = createFakeWebSocket();
  const handlerErrors: unknown[] = [];
  const ws = new Ws(url, prefix, {
    WebSocket: kit.WebSocket,
    onHandlerError: (error) => handlerErrors.push(error),
    ...options,
  });
  return { ws, kit, handlerErrors };
}

describe('Ws (Iris compat)', () => {
  it('connects at once; an address without scheme gets ws://', () => {
    const { kit } = connect('localhost:8080/echo');
    expect(kit.last.url).toBe('ws://localhost:8080/echo');
    expect(kit.last.binaryType).toBe('arraybuffer');
  });

  it('encodes values correctly, unlike the original', () => {
    const { ws, kit } = connect();
    kit.last.acceptOpen();
    ws.Emit('b', true);
    ws.Emit('f', 3.5);
    ws.Emit('s', '42');
    ws.Emit('i', 42);
    ws.Emit('o', { a: [1] });
    ws.Emit('u');
    ws.EmitMessage('native text');
    expect(kit.last.sent).toEqual([
      `${P}b;2;true`,
      `${P}f;4;3.5`,
      `${P}s;0;42`,
      `${P}i;1;42`,
      `${P}o;4;{"a":[1]}`,
      `${P}u;4;null`,
      'native text',
    ]);
  });

  it('gives On handlers the raw payload text, so JSON.parse(message) keeps working', () => {
    const { ws, kit } = connect();
    kit.last.acceptOpen();
    const received: unknown[] = [];
    ws.On('o', (message) => received.push(JSON.parse(message)));
    ws.On('i', (message) => received.push(message));
    ws.On('b', (message) => received.push(message));
    kit.last.receive(`${P}o;4;{"user":"ann","text":"a;b"}`);
    kit.last.receive(`${P}i;1;42`);
    kit.last.receive(`${P}b;2;true`);
    kit.last.receive(utf8(`${P}o;4;{"bin":"frame"}`).buffer);
    expect(received).toEqual([{ user: 'ann', text: 'a;b' }, '42', 'true', { bin: 'frame' }]);
  });

  it('runs several handlers in order; a throwing one does not stop the others', () => {
    const { ws, kit, handlerErrors } = connect();
    kit.last.acceptOpen();
    const calls: string[] = [];
    const boom = new Error('page bug');
    ws.On('chat', (message) => calls.push(`1:${message}`));
    ws.On('chat', () => {
      throw boom;
    });
    ws.On('chat', (message) => calls.push(`3:${message}`));
    kit.last.receive(`${P}chat;0;hi`);
    expect(calls).toEqual(['1:hi', '3:hi']);
    expect(handlerErrors).toEqual([boom]);
  });

  it('hands native messages to OnMessage as text, from text or binary frames', () => {
    const { ws, kit } = connect();
    kit.last.acceptOpen();
    const native: string[] = [];
    ws.OnMessage((message) => native.push(message));
    kit.last.receive('plain');
    kit.last.receive(utf8('from bytes').buffer);
    kit.last.receive(`${P}broken`); // like the original: not a well-formed event, so native
    expect(native).toEqual(['plain', 'from bytes', `${P}broken`]);
  });

  it('keeps reserved ws-rooms events away from the page', () => {
    const { ws, kit } = connect();
    kit.last.acceptOpen();
    const seen = jest.fn();
    ws.On('ws-rooms:error', seen);
    ws.OnMessage(seen);
    kit.last.receive(`${P}ws-rooms:error;4;{"code":"X","message":"m"}`);
    expect(seen).not.toHaveBeenCalled();
  });

  it('never opts in to the ws-rooms extensions: URL untouched, their events ignored', () => {
    const { ws, kit } = connect('ws://server/echo?name=a');
    expect(kit.last.url).toBe('ws://server/echo?name=a');
    kit.last.acceptOpen();
    const seen = jest.fn();
    ws.On('said', seen);
    ws.OnMessage(seen);
    kit.last.receive(`${P}ws-rooms:session;4;{"id":"x","token":"t","offset":0,"recovered":false}`);
    kit.last.receive(`${P}ws-rooms:m;0;1;${P}said;0;wrapped`);
    kit.last.receive(`${P}ws-rooms:presence;4;{"room":"r","members":[]}`);
    kit.last.receive(`${P}ws-rooms:req;4;{"id":1,"event":"said","value":1}`);
    expect(seen).not.toHaveBeenCalled();
    expect(kit.last.sent).toEqual([]);
  });

  it('OnConnect runs at once when already connected; OnDisconnect on close', () => {
    const { ws, kit } = connect();
    const events: string[] = [];
    ws.OnConnect(() => events.push('connect 1'));
    kit.last.acceptOpen();
    ws.OnConnect(() => events.push('connect 2'));
    ws.OnDisconnect(() => events.push('disconnect'));
    kit.last.serverClose(1001);
    expect(events).toEqual(['connect 1', 'connect 2', 'disconnect']);
  });

  it('sends what was emitted before open, in order, and drops sends after close', () => {
    const { ws, kit } = connect();
    ws.Emit('a', 1);
    ws.EmitMessage('b');
    kit.last.acceptOpen();
    expect(kit.last.sent).toEqual([`${P}a;1;1`, 'b']);
    kit.last.serverClose(1000);
    expect(() => ws.Emit('c', 1)).not.toThrow();
    expect(kit.last.sent).toHaveLength(2);
  });

  it('Disconnect closes and never reconnects', () => {
    const { ws, kit } = connect();
    kit.last.acceptOpen();
    const disconnected = jest.fn();
    ws.OnDisconnect(disconnected);
    ws.Disconnect();
    expect(kit.last.closeCalls).toHaveLength(1);
    expect(disconnected).toHaveBeenCalledTimes(1);
    expect(kit.sockets).toHaveLength(1);
  });

  it('takes a custom prefix, or the original subprotocol list, as second argument', () => {
    const legacy = connect('ws://server', 'go-websocket-message:');
    legacy.kit.last.acceptOpen();
    legacy.ws.Emit('chat', 'hi');
    expect(legacy.kit.last.sent).toEqual(['go-websocket-message:chat;0;hi']);

    const withProtocols = connect('ws://server', ['chat-v1']);
    expect(withProtocols.kit.last.protocols).toEqual(['chat-v1']);
    withProtocols.kit.last.acceptOpen();
    withProtocols.ws.Emit('chat', 'hi');
    expect(withProtocols.kit.last.sent).toEqual([`${P}chat;0;hi`]);
  });

  it('refuses an event name with ";" and has a clear error without WebSocket', () => {
    const { ws, kit } = connect();
    kit.last.acceptOpen();
    expect(() => ws.Emit('a;b', 1)).toThrow(
      expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidEventName }),
    );
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket;
    try {
      expect(() => new Ws('ws://server')).toThrow(
        expect.objectContaining({ code: WsRoomsClientErrorCode.NoWebSocket }),
      );
    } finally {
      if (saved !== undefined) global.WebSocket = saved;
    }
  });
});
