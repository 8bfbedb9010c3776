import { WsRoomsClientError, WsRoomsClientErrorCode, WsRoomsServerError } from './client-errors';
import type { WsRoomsClientOptions } from './client-options';
import { createFakeWebSocket, type FakeWebSocketKit } from './testing/fake-websocket';
import { FakeTimers } from './testing/fake-timers';
import type { PresenceChange } from './presence-view';
import type { RecoveryResult } from './recovery-session';
import { WsRoomsClient, type ClientState, type DisconnectInfo } from './ws-rooms-client';

const P = 'iris-websocket-message:';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

interface Harness {
  readonly client: WsRoomsClient;
  readonly kit: FakeWebSocketKit;
  readonly timers: FakeTimers;
  readonly states: ClientState[];
  readonly disconnects: DisconnectInfo[];
  readonly errors: WsRoomsClientError[];
}

function setup(
  options: WsRoomsClientOptions = {},
  kitOptions: { nodeLike?: boolean } = {},
): Harness {
  const kit = createFakeWebSocket(kitOptions);
  const timers = new FakeTimers();
  const states: ClientState[] = [];
  const disconnects: DisconnectInfo[] = [];
  const errors: WsRoomsClientError[] = [];
  const client = new WsRoomsClient('ws://server/chat', {
    WebSocket: kit.WebSocket,
    timers,
    autoConnect: false,
    ...options,
  });
  client.onStateChange((state) => states.push(state));
  client.onDisconnect((info) => disconnects.push(info));
  client.onError((error) => errors.push(error));
  return { client, kit, timers, states, disconnects, errors };
}

/** A harness whose client is open on its first socket. */
function openHarness(options: WsRoomsClientOptions = {}, kitOptions = {}): Harness {
  const harness = setup(options, kitOptions);
  harness.client.connect();
  harness.kit.last.acceptOpen();
  return harness;
}

describe('WsRoomsClient', () => {
  describe('connecting', () => {
    it('connects from the constructor by default', () => {
      const kit = createFakeWebSocket();
      const client = new WsRoomsClient('ws://server/chat', { WebSocket: kit.WebSocket });
      expect(client.state).toBe('connecting');
      expect(kit.sockets).toHaveLength(1);
      expect(kit.last.url).toBe('ws://server/chat?ws-rooms-identity=1');
      expect(kit.last.binaryType).toBe('arraybuffer');
      client.close();
    });

    it('with autoConnect false waits for connect()', () => {
      const { client, kit, states } = setup();
      expect(client.state).toBe('closed');
      expect(kit.sockets).toHaveLength(0);
      client.connect();
      client.connect();
      expect(kit.sockets).toHaveLength(1);
      kit.last.acceptOpen();
      expect(states).toEqual(['connecting', 'open']);
      expect(client.state).toBe('open');
    });

    it('turns http URLs into ws URLs and offers the subprotocols', () => {
      const kit = createFakeWebSocket();
      const client = new WsRoomsClient('https://server/chat', {
        WebSocket: kit.WebSocket,
        protocols: ['v1'],
      });
      expect(kit.last.url).toBe('wss://server/chat?ws-rooms-identity=1');
      expect(kit.last.protocols).toEqual(['v1']);
      client.close();
    });

    it('calls a URL function before every attempt', () => {
      let token = 0;
      const kit = createFakeWebSocket();
      const timers = new FakeTimers();
      const client = new WsRoomsClient(() => `ws://server/chat?token=${++token}`, {
        WebSocket: kit.WebSocket,
        timers,
      });
      kit.last.dropConnection();
      timers.runNext();
      expect(kit.sockets.map((socket) => socket.url)).toEqual([
        'ws://server/chat?token=1&ws-rooms-identity=1',
        'ws://server/chat?token=2&ws-rooms-identity=1',
      ]);
      client.close();
    });

    it('fires onConnect on every (re)connect', () => {
      const { client, kit, timers } = setup();
      const connects: number[] = [];
      client.onConnect(() => connects.push(kit.sockets.length));
      client.connect();
      kit.last.acceptOpen();
      kit.last.dropConnection();
      timers.runNext();
      kit.last.acceptOpen();
      expect(connects).toEqual([1, 2]);
    });
  });

  describe('sending', () => {
    it('encodes events by value type, bytes as a binary frame', () => {
      const { client, kit } = openHarness();
      client.emit('chat', 'hi');
      client.emit('n', 7);
      client.emit('b', true);
      client.emit('o', { a: 1 });
      client.emit('bin', Uint8Array.from([1, 2]));
      client.emitMessage('raw text');
      expect(kit.last.sent).toEqual([
        `${P}chat;0;hi`,
        `${P}n;1;7`,
        `${P}b;2;true`,
        `${P}o;4;{"a":1}`,
        new Uint8Array([...utf8(`${P}bin;3;`), 1, 2]),
        'raw text',
      ]);
    });

    it('uses the configured prefix', () => {
      const { client, kit } = openHarness({ prefix: 'go-websocket-message:' });
      client.emit('chat', 'hi');
      expect(kit.last.sent).toEqual(['go-websocket-message:chat;0;hi']);
    });

    it('refuses invalid and reserved event names with a typed error', () => {
      const { client } = openHarness();
      for (const name of ['', 'a;b', 'ws-rooms:req']) {
        expect(() => client.emit(name, 1)).toThrow(
          expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidEventName }),
        );
        expect(() => client.on(name, () => undefined)).toThrow(
          expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidEventName }),
        );
      }
    });
  });

  describe('receiving', () => {
    it('decodes events from text and binary frames', () => {
      const { client, kit } = openHarness();
      const received: unknown[] = [];
      client.on('chat', (value) => received.push(value));
      client.on('n', (value) => received.push(value));
      client.on('bin', (value) => received.push(value));
      kit.last.receive(`${P}chat;0;hello`);
      kit.last.receive(utf8(`${P}chat;0;hé`).buffer);
      kit.last.receive(`${P}n;1;42`);
      kit.last.receive(new Uint8Array([...utf8(`${P}bin;3;`), 0, 255]).buffer);
      kit.last.receive(`${P}other;0;ignored`);
      expect(received).toEqual(['hello', 'hé', 42, Uint8Array.from([0, 255])]);
    });

    it('calls several handlers in order; once, off and unsubscribe remove them', () => {
      const { client, kit } = openHarness();
      const calls: string[] = [];
      const first = (value: unknown): void => void calls.push(`first ${String(value)}`);
      client.on('e', first);
      const unsubscribe = client.on('e', (value) => calls.push(`second ${String(value)}`));
      client.once('e', (value) => calls.push(`once ${String(value)}`));
      kit.last.receive(`${P}e;1;1`);
      unsubscribe();
      unsubscribe();
      kit.last.receive(`${P}e;1;2`);
      client.off('e', first);
      kit.last.receive(`${P}e;1;3`);
      expect(calls).toEqual(['first 1', 'second 1', 'once 1', 'first 2']);
      client.on('e', first);
      client.off('e');
      kit.last.receive(`${P}e;1;4`);
      expect(calls).toHaveLength(4);
    });

    it('hands native messages to onMessage: text as text, binary as bytes', () => {
      const { client, kit } = openHarness();
      const native: unknown[] = [];
      client.onMessage((data) => native.push(data));
      kit.last.receive('plain');
      kit.last.receive(utf8('bytes').buffer);
      expect(native).toEqual(['plain', utf8('bytes')]);
    });

    it('reports malformed messages through onError and stays open', () => {
      const { client, kit, errors } = openHarness();
      const handler = jest.fn();
      client.on('n', handler);
      kit.last.receive(`${P}n;1;abc`);
      kit.last.receive(`${P}n;9;1`);
      kit.last.receive(`${P}n`);
      kit.last.receive(42);
      expect(errors.map((error) => error.code)).toEqual([
        'WS_ROOMS_INVALID_PAYLOAD',
        'WS_ROOMS_UNKNOWN_PAYLOAD_TYPE',
        'WS_ROOMS_MALFORMED_MESSAGE',
        'WS_ROOMS_CLIENT_UNSUPPORTED_DATA',
      ]);
      expect(errors[0].event).toBe('n');
      expect(handler).not.toHaveBeenCalled();
      expect(client.state).toBe('open');
    });

    it('surfaces ws-rooms:error as a typed server error, never to on() handlers', () => {
      const { client, kit, errors } = openHarness();
      const serverErrors: WsRoomsServerError[] = [];
      client.onServerError((error) => serverErrors.push(error));
      kit.last.receive(
        `${P}ws-rooms:error;4;{"code":"WS_ROOMS_FORBIDDEN","message":"no","event":"join","status":403}`,
      );
      expect(serverErrors).toHaveLength(1);
      expect(serverErrors[0]).toBeInstanceOf(WsRoomsServerError);
      expect(serverErrors[0]).toMatchObject({
        code: 'WS_ROOMS_FORBIDDEN',
        message: 'no',
        event: 'join',
        status: 403,
      });
      kit.last.receive(`${P}ws-rooms:error;4;[1]`);
      expect(errors.map((error) => error.code)).toEqual(['WS_ROOMS_INVALID_PAYLOAD']);
    });

    it('drops reserved events it has no hook for (e.g. a newer server feature)', () => {
      const { client, kit, errors } = openHarness();
      const native = jest.fn();
      client.onMessage(native);
      kit.last.receive(`${P}ws-rooms:future-feature;4;{}`);
      // A reply nobody waits for (e.g. after its timeout) is dropped silently too.
      kit.last.receive(`${P}ws-rooms:res;4;{"id":1}`);
      expect(native).not.toHaveBeenCalled();
      expect(errors).toEqual([]);
    });
  });

  describe('listener errors', () => {
    it('one throwing listener does not stop the others; onError gets the cause', () => {
      const { client, kit, errors } = openHarness();
      const boom = new Error('boom');
      const after = jest.fn();
      client.on('e', () => {
        throw boom;
      });
      client.on('e', after);
      kit.last.receive(`${P}e;0;x`);
      expect(after).toHaveBeenCalledWith('x');
      expect(errors).toHaveLength(1);
      expect(errors[0].code).toBe(WsRoomsClientErrorCode.HandlerError);
      expect(errors[0].cause).toBe(boom);
    });

    it('without an error listener, rethrows asynchronously', () => {
      const kit = createFakeWebSocket();
      const timers = new FakeTimers();
      const client = new WsRoomsClient('ws://server', { WebSocket: kit.WebSocket, timers });
      kit.last.acceptOpen();
      const boom = new Error('boom');
      client.on('e', () => {
        throw boom;
      });
      expect(() => kit.last.receive(`${P}e;0;x`)).not.toThrow();
      expect(() => timers.advance(0)).toThrow(boom);
      client.close();
    });
  });

  describe('reconnecting', () => {
    it('reconnects after an unexpected close, with the backoff delays', () => {
      const { client, kit, timers, states, disconnects } = openHarness();
      timers.queueRandom(0.5, 0.5);
      kit.last.dropConnection();
      expect(client.state).toBe('reconnecting');
      expect(disconnects).toEqual([
        { code: 1006, reason: '', wasClean: false, willReconnect: true },
      ]);
      expect(timers.pendingDelays).toEqual([50]); // full jitter: 0.5 of the 100 ms ceiling
      timers.runNext();
      expect(kit.sockets).toHaveLength(2);
      kit.last.dropConnection(); // the retry fails before opening
      expect(timers.pendingDelays).toEqual([100]); // 0.5 of 200
      timers.runNext();
      kit.last.acceptOpen();
      expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
      expect(client.state).toBe('open');
    });

    it('resets the backoff once a connection stayed open for resetAfter', () => {
      const { kit, timers } = openHarness({ reconnect: { jitter: false, resetAfter: 1000 } });
      const reconnectDelays: number[] = [];
      const dropAndReopen = (stayOpenMs: number): void => {
        kit.last.dropConnection();
        reconnectDelays.push(timers.pendingDelays[0]);
        timers.runNext();
        kit.last.acceptOpen();
        timers.advance(stayOpenMs);
      };
      dropAndReopen(10); // open only briefly: the schedule keeps growing
      dropAndReopen(10);
      dropAndReopen(1000); // stable: starts over
      dropAndReopen(0);
      expect(reconnectDelays).toEqual([100, 200, 400, 100]);
    });

    it('does not reconnect after close(), and ignores the old socket', () => {
      const { client, kit, timers, states, disconnects } = openHarness();
      const old = kit.last;
      const handler = jest.fn();
      client.on('e', handler);
      client.close(4000, 'bye');
      expect(old.closeCalls).toEqual([{ code: 4000, reason: 'bye' }]);
      expect(old.attached).toBe(false);
      expect(client.state).toBe('closed');
      expect(states).toEqual(['connecting', 'open', 'closed']);
      expect(disconnects).toEqual([
        { code: 4000, reason: 'bye', wasClean: true, willReconnect: false },
      ]);
      old.receive(`${P}e;0;late`);
      timers.advance(60_000);
      expect(kit.sockets).toHaveLength(1);
      expect(handler).not.toHaveBeenCalled();
    });

    it('close() while waiting to retry cancels the retry', () => {
      const { client, kit, timers } = openHarness();
      kit.last.dropConnection();
      expect(timers.pendingDelays).toHaveLength(1);
      client.close();
      expect(timers.pendingDelays).toEqual([]);
      expect(client.state).toBe('closed');
      timers.advance(60_000);
      expect(kit.sockets).toHaveLength(1);
    });

    it('close() from an onDisconnect listener stops the pending retry', () => {
      const { client, kit, timers } = openHarness();
      const seen: boolean[] = [];
      client.onDisconnect((info) => {
        seen.push(info.willReconnect);
        client.close();
      });
      kit.last.dropConnection();
      expect(client.state).toBe('closed');
      expect(timers.pendingDelays).toEqual([]);
      expect(seen).toEqual([true]);
    });

    it('close() from a state listener cancels the retry, and no onConnect follows a close', () => {
      const { client, kit, timers } = openHarness();
      const unsubscribe = client.onStateChange((state) => {
        if (state === 'reconnecting') client.close();
      });
      kit.last.dropConnection();
      expect(client.state).toBe('closed');
      expect(timers.pendingDelays).toEqual([]);
      unsubscribe();

      const connected = jest.fn();
      const disconnected = jest.fn();
      client.onConnect(connected);
      client.onDisconnect(disconnected);
      client.onStateChange((state) => {
        if (state === 'open') client.close();
      });
      client.connect();
      kit.last.acceptOpen();
      expect(connected).not.toHaveBeenCalled();
      expect(disconnected).not.toHaveBeenCalled(); // connects and disconnects stay paired
      expect(client.state).toBe('closed');
    });

    it('connect() while waiting to retry tries at once', () => {
      const { client, kit, timers } = openHarness();
      kit.last.dropConnection();
      client.connect();
      expect(kit.sockets).toHaveLength(2);
      expect(timers.pendingDelays).toEqual([]);
      expect(client.state).toBe('reconnecting');
      kit.last.acceptOpen();
      expect(client.state).toBe('open');
    });

    it('connect() after close() starts over', () => {
      const { client, kit } = openHarness();
      client.close();
      client.connect();
      expect(client.state).toBe('connecting');
      kit.last.acceptOpen();
      expect(client.state).toBe('open');
    });

    it('with reconnect: false, stays closed', () => {
      const { client, kit, timers, disconnects, errors } = openHarness({ reconnect: false });
      kit.last.dropConnection();
      expect(client.state).toBe('closed');
      expect(timers.pendingDelays).toEqual([]);
      expect(disconnects[0].willReconnect).toBe(false);
      expect(errors).toEqual([]);
      client.connect();
      kit.last.dropConnection(); // a first attempt that fails says why the client is closed
      expect(errors.map((error) => error.code)).toEqual([WsRoomsClientErrorCode.ConnectFailed]);
    });

    it.each([
      [1000, false],
      [1003, false],
      [1008, false],
      [4000, false],
      [4401, false],
      [4499, false],
      [1001, true],
      [1006, true],
      [1011, true],
      [1013, true],
      [4500, true],
      [4999, true],
    ])('after the server closes with %i, reconnect is %p', (code, expected) => {
      const { client, kit, disconnects } = openHarness();
      kit.last.serverClose(code, 'why');
      expect(client.state).toBe(expected ? 'reconnecting' : 'closed');
      expect(disconnects).toEqual([
        { code, reason: 'why', wasClean: true, willReconnect: expected },
      ]);
    });

    it('lets shouldReconnect decide', () => {
      const shouldReconnect = jest.fn(() => false);
      const { client, kit } = openHarness({ reconnect: { shouldReconnect } });
      kit.last.serverClose(1001);
      expect(shouldReconnect).toHaveBeenCalledWith({
        code: 1001,
        reason: '',
        wasClean: true,
        opened: true,
        handshakeStatus: undefined,
      });
      expect(client.state).toBe('closed');
    });

    it('treats a throwing shouldReconnect as "no" and reports it', () => {
      const bug = new Error('policy bug');
      const { client, kit, errors } = openHarness({
        reconnect: {
          shouldReconnect: () => {
            throw bug;
          },
        },
      });
      expect(() => kit.last.serverClose(1001)).not.toThrow();
      expect(client.state).toBe('closed');
      expect(errors.map((error) => [error.code, error.cause])).toEqual([
        [WsRoomsClientErrorCode.HandlerError, bug],
      ]);
    });
  });

  describe('refused handshakes', () => {
    it('with the ws package, stops at once on an HTTP 4xx and says so', () => {
      const { client, kit, timers, states, disconnects, errors } = setup({}, { nodeLike: true });
      client.connect();
      kit.last.refuseHandshake(403);
      expect(kit.last.closeCalls).toHaveLength(1);
      expect(client.state).toBe('closed');
      expect(states).toEqual(['connecting', 'closed']);
      expect(timers.pendingDelays).toEqual([]);
      expect(disconnects).toEqual([]); // it never opened
      expect(errors).toHaveLength(1);
      expect(errors[0].code).toBe(WsRoomsClientErrorCode.HandshakeRefused);
      expect(errors[0].status).toBe(403);
    });

    it.each([[503], [429], [408]])('with the ws package, retries HTTP %i', (status) => {
      const { client, kit, timers } = setup({}, { nodeLike: true });
      client.connect();
      kit.last.refuseHandshake(status);
      expect(client.state).toBe('reconnecting');
      timers.runNext();
      kit.last.acceptOpen();
      expect(client.state).toBe('open');
    });

    it('in a browser, gives up after maxFailedAttempts attempts that never opened', () => {
      const { client, kit, timers, errors, states } = setup({
        reconnect: { maxFailedAttempts: 3 },
      });
      client.connect();
      kit.last.dropConnection();
      timers.runNext();
      kit.last.dropConnection();
      timers.runNext();
      expect(client.state).toBe('reconnecting');
      kit.last.dropConnection();
      expect(client.state).toBe('closed');
      expect(kit.sockets).toHaveLength(3);
      expect(timers.pendingDelays).toEqual([]);
      expect(states).toEqual(['connecting', 'reconnecting', 'closed']);
      expect(errors.map((error) => error.code)).toEqual([WsRoomsClientErrorCode.ReconnectGaveUp]);
    });

    it('counts only consecutive failures: an open connection starts the count over', () => {
      const { client, kit, timers } = setup({ reconnect: { maxFailedAttempts: 2 } });
      client.connect();
      kit.last.dropConnection();
      timers.runNext();
      kit.last.acceptOpen();
      kit.last.dropConnection(); // an outage after being open
      timers.runNext();
      kit.last.dropConnection(); // failure 1
      expect(client.state).toBe('reconnecting');
      timers.runNext();
      kit.last.dropConnection(); // failure 2
      expect(client.state).toBe('closed');
    });

    it('a WebSocket constructor that throws (bad URL) ends in closed with an error', () => {
      const errors: WsRoomsClientError[] = [];
      const client = new WsRoomsClient('ws://server', {
        autoConnect: false,
        WebSocket: class {
          constructor() {
            throw new SyntaxError('bad url');
          }
        } as never,
      });
      client.onError((error) => errors.push(error));
      client.connect();
      expect(client.state).toBe('closed');
      expect(errors.map((error) => error.code)).toEqual([WsRoomsClientErrorCode.ConnectFailed]);
      expect(errors[0].cause).toBeInstanceOf(SyntaxError);
    });
  });

  describe('send buffer', () => {
    it('keeps messages while connecting and flushes them in order on open', () => {
      const { client, kit } = setup();
      client.connect();
      client.emit('a', 1);
      client.emitMessage('native');
      client.emit('b', 2);
      expect(client.bufferedCount).toBe(3);
      expect(kit.last.sent).toEqual([]);
      kit.last.acceptOpen();
      expect(kit.last.sent).toEqual([`${P}a;1;1`, 'native', `${P}b;1;2`]);
      expect(client.bufferedCount).toBe(0);
    });

    it('flushes after a reconnect, after what onConnect listeners send', () => {
      const { client, kit, timers } = openHarness();
      client.onConnect(() => client.emit('join', 'lobby'));
      kit.last.dropConnection();
      client.emit('chat', 'while offline 1');
      client.emit('chat', 'while offline 2');
      timers.runNext();
      kit.last.acceptOpen();
      expect(kit.last.sent).toEqual([
        `${P}join;0;lobby`,
        `${P}chat;0;while offline 1`,
        `${P}chat;0;while offline 2`,
      ]);
    });

    it("'drop-oldest' keeps the newest and reports each drop", () => {
      const { client, kit, errors } = setup({ sendBufferSize: 2 });
      client.connect();
      [1, 2, 3, 4].forEach((n) => client.emit('n', n));
      expect(errors.map((error) => error.code)).toEqual([
        WsRoomsClientErrorCode.MessageDropped,
        WsRoomsClientErrorCode.MessageDropped,
      ]);
      kit.last.acceptOpen();
      expect(kit.last.sent).toEqual([`${P}n;1;3`, `${P}n;1;4`]);
    });

    it("'reject' throws WS_ROOMS_CLIENT_BUFFER_FULL from emit", () => {
      const { client, kit } = setup({ sendBufferSize: 1, sendBufferPolicy: 'reject' });
      client.connect();
      client.emit('n', 1);
      expect(() => client.emit('n', 2)).toThrow(
        expect.objectContaining({
          name: 'WsRoomsClientError',
          code: 'WS_ROOMS_CLIENT_BUFFER_FULL',
        }),
      );
      kit.last.acceptOpen();
      expect(kit.last.sent).toEqual([`${P}n;1;1`]);
    });

    it('buffers a send made while the socket is closing, for the next connection', () => {
      const { client, kit, timers } = openHarness();
      const first = kit.last;
      (first as { readyState: number }).readyState = 2; // CLOSING, close event not yet delivered
      client.emit('late', 'x');
      expect(first.sent).toEqual([]);
      first.dropConnection();
      timers.runNext();
      kit.last.acceptOpen();
      expect(kit.last.sent).toEqual([`${P}late;0;x`]);
    });

    it('keeps buffered messages across close() for a later connect()', () => {
      const { client, kit } = openHarness();
      client.close();
      client.emit('n', 1);
      client.connect();
      kit.last.acceptOpen();
      expect(kit.last.sent).toEqual([`${P}n;1;1`]);
    });
  });

  describe('options and arguments', () => {
    it('without a WebSocket implementation throws a clear typed error', () => {
      const global = globalThis as { WebSocket?: unknown };
      const saved = global.WebSocket;
      delete global.WebSocket;
      try {
        expect(() => new WsRoomsClient('ws://server')).toThrow(
          expect.objectContaining({ code: WsRoomsClientErrorCode.NoWebSocket }),
        );
      } finally {
        if (saved !== undefined) global.WebSocket = saved;
      }
    });

    it.each<[string, WsRoomsClientOptions]>([
      ['prefix', { prefix: '' }],
      ['sendBufferSize', { sendBufferSize: -1 }],
      ['sendBufferPolicy', { sendBufferPolicy: 'newest' as never }],
      ['reconnect.initialDelay', { reconnect: { initialDelay: -1 } }],
      ['reconnect.maxDelay', { reconnect: { maxDelay: Infinity } }],
      ['initialDelay', { reconnect: { initialDelay: 500, maxDelay: 100 } }],
      ['reconnect.factor', { reconnect: { factor: 0.5 } }],
      ['reconnect.resetAfter', { reconnect: { resetAfter: Number.NaN } }],
      ['reconnect.maxFailedAttempts', { reconnect: { maxFailedAttempts: 0 } }],
      ['reconnect.shouldReconnect', { reconnect: { shouldReconnect: 'yes' as never } }],
    ])('rejects an invalid %s up front', (name, options) => {
      const kit = createFakeWebSocket();
      expect(
        () => new WsRoomsClient('ws://server', { WebSocket: kit.WebSocket, ...options }),
      ).toThrow(
        expect.objectContaining({
          code: WsRoomsClientErrorCode.InvalidOption,
          message: expect.stringContaining(name),
        }),
      );
      expect(kit.sockets).toHaveLength(0);
    });

    it('refuses close codes and reasons the WebSocket API would refuse, changing nothing', () => {
      const { client } = openHarness();
      expect(() => client.close(1006)).toThrow(
        expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidArgument }),
      );
      expect(() => client.close(1000, 'x'.repeat(124))).toThrow(
        expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidArgument }),
      );
      expect(client.state).toBe('open');
    });
  });
});

/** The settlement of a promise, observed without awaiting it. */
function watch<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

/** Lets promise callbacks run (the fake socket and timers are synchronous; promises are not). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const req = (id: number, event: string, value: unknown) =>
  `${P}ws-rooms:req;4;${JSON.stringify({ id, event, value })}`;
const res = (body: object) => `${P}ws-rooms:res;4;${JSON.stringify(body)}`;
/** The reply envelopes a socket sent, by id (replies to concurrent requests may finish in any order). */
const repliesById = (sent: readonly unknown[]): { id: number }[] =>
  sent
    .map(
      (data) => JSON.parse((data as string).slice(`${P}ws-rooms:res;4;`.length)) as { id: number },
    )
    .sort((a, b) => a.id - b.id);
const binary = (...parts: (string | number[])[]): ArrayBuffer => {
  const chunks = parts.map((part) =>
    typeof part === 'string' ? utf8(part) : Uint8Array.from(part),
  );
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out.buffer;
};

describe('WsRoomsClient requests', () => {
  it('sends the request envelope and resolves with the reply', async () => {
    const { client, kit } = openHarness();
    const first = watch(client.request('add', { a: 1, b: 2 }));
    const second = watch(client.request('bytes', Uint8Array.of(0, 255)));
    expect(kit.last.sent).toEqual([
      `${P}ws-rooms:req;4;{"id":1,"event":"add","value":{"a":1,"b":2}}`,
      `${P}ws-rooms:req;4;{"id":2,"event":"bytes","bytes":"AP8="}`,
    ]);
    kit.last.receive(res({ id: 2, bytes: 'AQI=' }));
    kit.last.receive(res({ id: 1, value: 3 }));
    await settle();
    expect(first).toEqual({ value: 3, settled: true });
    expect(second.value).toEqual(Uint8Array.of(1, 2));
  });

  it('rejects with a WsRoomsServerError carrying the code, message, status and details', async () => {
    const { client, kit } = openHarness();
    const outcome = watch(client.request('nope', null));
    kit.last.receive(
      res({
        id: 1,
        error: { code: 'WS_ROOMS_NO_HANDLER', message: 'no handler', status: 404, details: [1] },
      }),
    );
    await settle();
    expect(outcome.error).toBeInstanceOf(WsRoomsServerError);
    expect(outcome.error).toMatchObject({
      code: 'WS_ROOMS_NO_HANDLER',
      message: 'no handler',
      status: 404,
      details: [1],
      event: 'nope',
    });
  });

  it('times out with the requestTimeout option or the per-call timeout, on injected timers', async () => {
    const { client, kit, timers } = openHarness({ requestTimeout: 500 });
    const byOption = watch(client.request('slow', 1));
    const byCall = watch(client.request('slow', 2, { timeout: 100 }));
    timers.advance(99);
    await settle();
    expect(byCall.settled).toBe(false);
    timers.advance(1);
    await settle();
    expect(byCall.error).toMatchObject({
      name: 'WsRoomsClientError',
      code: 'WS_ROOMS_CLIENT_REQUEST_TIMEOUT',
    });
    expect(byOption.settled).toBe(false);
    timers.advance(400);
    await settle();
    expect(byOption.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_TIMEOUT' });
    // A late reply is ignored, without an error.
    kit.last.receive(res({ id: 1, value: 'late' }));
  });

  it('uses 10 s as the default timeout', async () => {
    const { client, timers } = openHarness();
    const outcome = watch(client.request('slow', 1));
    timers.advance(9_999);
    await settle();
    expect(outcome.settled).toBe(false);
    timers.advance(1);
    await settle();
    expect(outcome.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_TIMEOUT' });
  });

  it('aborts a request whose connection closes before the reply, even when reconnecting', async () => {
    const { client, kit, timers } = openHarness();
    const outcome = watch(client.request('x', 1));
    kit.last.dropConnection();
    await settle();
    expect(outcome.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_ABORTED' });
    // Not sent again on the next connection.
    timers.runNext();
    kit.last.acceptOpen();
    expect(kit.last.sent).toEqual([]);
  });

  it('buffers requests while connecting, in order with emits, and sends them on open', async () => {
    const { client, kit } = setup();
    client.connect();
    client.emit('join', 'lobby');
    const outcome = watch(client.request('history', 'lobby'));
    expect(client.bufferedCount).toBe(2);
    kit.last.acceptOpen();
    expect(kit.last.sent).toEqual([
      `${P}join;0;lobby`,
      `${P}ws-rooms:req;4;{"id":1,"event":"history","value":"lobby"}`,
    ]);
    kit.last.receive(res({ id: 1, value: ['hi'] }));
    await settle();
    expect(outcome.value).toEqual(['hi']);
  });

  it('takes a buffered request that timed out out of the buffer: it is never sent', async () => {
    const { client, kit, timers } = setup();
    client.connect();
    const outcome = watch(client.request('x', 1, { timeout: 50 }));
    client.emit('after', 1);
    timers.advance(50);
    await settle();
    expect(outcome.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_TIMEOUT' });
    expect(client.bufferedCount).toBe(1);
    kit.last.acceptOpen();
    expect(kit.last.sent).toEqual([`${P}after;1;1`]);
  });

  it('keeps buffered requests across a reconnect, and aborts them when the client gives up', async () => {
    const { client, kit, timers } = openHarness({ reconnect: { maxFailedAttempts: 1 } });
    kit.last.dropConnection();
    const outcome = watch(client.request('x', 1));
    timers.runNext();
    kit.last.dropConnection();
    expect(client.state).toBe('closed');
    await settle();
    expect(outcome.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_ABORTED' });
    expect(client.bufferedCount).toBe(0);
  });

  it('close() aborts requests in flight and buffered; emits stay buffered', async () => {
    const { client, kit } = openHarness();
    const inFlight = watch(client.request('a', 1));
    kit.last.serverClose(1012);
    const buffered = watch(client.request('b', 1));
    client.emit('kept', 1);
    client.close();
    await settle();
    expect(inFlight.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_ABORTED' });
    expect(buffered.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_ABORTED' });
    expect(client.bufferedCount).toBe(1);
  });

  it('rejects at once while closed, and for invalid arguments, without throwing', async () => {
    const { client } = setup();
    const closed = watch(client.request('x', 1));
    const { client: open } = openHarness();
    const reserved = watch(open.request('ws-rooms:req', 1));
    const badTimeout = watch(open.request('x', 1, { timeout: 0 }));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const unencodable = watch(open.request('x', cyclic));
    await settle();
    expect(closed.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_NOT_CONNECTED' });
    expect(reserved.error).toMatchObject({ code: 'WS_ROOMS_INVALID_EVENT_NAME' });
    expect(badTimeout.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_INVALID_ARGUMENT' });
    expect(unencodable.error).toMatchObject({ code: 'WS_ROOMS_INVALID_PAYLOAD', event: 'x' });
  });

  it('rejects a request pushed out of the full send buffer', async () => {
    const { client, errors } = setup({ sendBufferSize: 1 });
    client.connect();
    const outcome = watch(client.request('x', 1));
    client.emit('newer', 1);
    await settle();
    expect(outcome.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_MESSAGE_DROPPED' });
    expect(errors.map((error) => error.code)).toEqual(['WS_ROOMS_CLIENT_MESSAGE_DROPPED']);
    expect(client.bufferedCount).toBe(1);
  });

  it("rejects with BUFFER_FULL under the 'reject' policy", async () => {
    const { client } = setup({ sendBufferSize: 0, sendBufferPolicy: 'reject' });
    client.connect();
    const outcome = watch(client.request('x', 1));
    await settle();
    expect(outcome.error).toMatchObject({ code: 'WS_ROOMS_CLIENT_BUFFER_FULL' });
  });

  it('reports a malformed reply and drops it', () => {
    const { kit, errors } = openHarness();
    kit.last.receive(`${P}ws-rooms:res;4;{"value":1}`);
    expect(errors.map((error) => [error.code, error.event])).toEqual([
      ['WS_ROOMS_INVALID_PAYLOAD', 'ws-rooms:res'],
    ]);
  });
});

describe('WsRoomsClient server-to-client requests', () => {
  it('answers with the handler value; bytes as base64; undefined as null', async () => {
    const { client, kit } = openHarness();
    client.onRequest('confirm', async (value) => ({ sure: value }));
    client.onRequest('bytes', () => Uint8Array.of(1, 2));
    client.onRequest('void', () => undefined);
    kit.last.receive(req(4, 'confirm', 'yes?'));
    kit.last.receive(`${P}ws-rooms:req;4;{"id":5,"event":"bytes","bytes":"AQ=="}`);
    kit.last.receive(req(6, 'void', null));
    await settle();
    expect(kit.last.sent).toContain(`${P}ws-rooms:res;4;{"id":5,"bytes":"AQI="}`);
    expect(repliesById(kit.last.sent)).toEqual([
      { id: 4, value: { sure: 'yes?' } },
      { id: 5, bytes: 'AQI=' },
      { id: 6, value: null },
    ]);
  });

  it('gives the handler bytes as a Uint8Array', async () => {
    const { client, kit } = openHarness();
    const received: unknown[] = [];
    client.onRequest('bytes', (value) => received.push(value));
    kit.last.receive(`${P}ws-rooms:req;4;{"id":1,"event":"bytes","bytes":"AP8="}`);
    expect(received).toEqual([Uint8Array.of(0, 255)]);
  });

  it('answers errors: the thrown code, HANDLER_ERROR otherwise, NO_HANDLER without handler', async () => {
    const { client, kit } = openHarness();
    client.onRequest('denied', () => {
      throw Object.assign(new Error('no way'), { code: 'APP_DENIED', status: 403 });
    });
    client.onRequest('bug', () => Promise.reject(new Error('oops')));
    kit.last.receive(req(1, 'denied', null));
    kit.last.receive(req(2, 'bug', null));
    kit.last.receive(req(3, 'unknown', null));
    await settle();
    expect(repliesById(kit.last.sent)).toEqual([
      { id: 1, error: { code: 'APP_DENIED', message: 'no way', status: 403 } },
      { id: 2, error: { code: 'WS_ROOMS_CLIENT_HANDLER_ERROR', message: 'oops' } },
      {
        id: 3,
        error: {
          code: 'WS_ROOMS_NO_HANDLER',
          message: 'no handler for request "unknown"',
          status: 404,
        },
      },
    ]);
  });

  it('answers a reply that JSON cannot encode with an error reply', async () => {
    const { client, kit } = openHarness();
    client.onRequest('big', () => BigInt(1));
    kit.last.receive(req(1, 'big', null));
    await settle();
    expect(repliesById(kit.last.sent)[0]).toMatchObject({
      id: 1,
      error: { code: 'WS_ROOMS_INVALID_PAYLOAD' },
    });
  });

  it('drops the reply when its connection closed meanwhile', async () => {
    const { client, kit, timers } = openHarness();
    let release: (value: string) => void = () => undefined;
    client.onRequest('slow', () => new Promise<string>((resolve) => (release = resolve)));
    kit.last.receive(req(1, 'slow', null));
    kit.last.dropConnection();
    timers.runNext();
    kit.last.acceptOpen();
    release('late');
    await settle();
    expect(kit.sockets.map((socket) => socket.sent)).toEqual([[], []]);
  });

  it('answers an envelope without event name with an error; reports one without id', async () => {
    const { kit, errors } = openHarness();
    kit.last.receive(`${P}ws-rooms:req;4;{"id":3,"value":1}`);
    kit.last.receive(`${P}ws-rooms:req;4;{"event":"x"}`);
    await settle();
    expect(kit.last.sent).toEqual([
      `${P}ws-rooms:res;4;{"id":3,"error":{"code":"WS_ROOMS_INVALID_RESERVED_MESSAGE","message":"the request has no event name"}}`,
    ]);
    expect(errors.map((error) => error.event)).toEqual(['ws-rooms:req']);
  });

  it('refuses reserved names for handlers; the unsubscribe removes the handler', async () => {
    const { client, kit } = openHarness();
    expect(() => client.onRequest('ws-rooms:x', () => 1)).toThrow(WsRoomsClientError);
    const off = client.onRequest('e', () => 1);
    off();
    kit.last.receive(req(1, 'e', null));
    await settle();
    expect(kit.last.sent[0]).toContain('WS_ROOMS_NO_HANDLER');
  });
});

describe('WsRoomsClient recovery', () => {
  const session = (body: object) => `${P}ws-rooms:session;4;${JSON.stringify(body)}`;
  const wrapped = (offset: number, inner: string) => `${P}ws-rooms:m;0;${offset};${inner}`;

  function recovering(options: WsRoomsClientOptions = {}) {
    const harness = openHarness({ recovery: true, ...options });
    const results: RecoveryResult[] = [];
    harness.client.onRecovery((result) => results.push(result));
    return { ...harness, results };
  }

  it('asks for the id alone without the option, and opts in to recovery with it', () => {
    expect(openHarness().kit.last.url).toBe('ws://server/chat?ws-rooms-identity=1');
    expect(openHarness({ identity: false }).kit.last.url).toBe('ws://server/chat');
    expect(recovering().kit.last.url).toBe('ws://server/chat?ws-rooms-recovery=1');
  });

  it('learns its id from the session and reports a fresh session', () => {
    const { client, kit, results } = recovering();
    expect(client.id).toBeUndefined();
    kit.last.receive(session({ id: 'me', token: 'tok', offset: 4, recovered: false }));
    expect(client.id).toBe('me');
    expect(results).toEqual([{ status: 'fresh', recovered: false, id: 'me' }]);
  });

  it('reconnects with its token and the last offset delivered, and reports the recovery', () => {
    const { client, kit, timers, results } = recovering();
    const said: unknown[] = [];
    client.on('said', (value) => said.push(value));
    kit.last.receive(session({ id: 'me', token: 'tok', offset: 4, recovered: false }));
    kit.last.receive(wrapped(6, `${P}said;0;a`));
    kit.last.dropConnection();
    timers.runNext();
    expect(kit.last.url).toBe(
      'ws://server/chat?ws-rooms-recovery=1&ws-rooms-session=tok&ws-rooms-offset=6&ws-rooms-id=me',
    );
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'me', token: 'tok', recovered: true }));
    kit.last.receive(wrapped(7, `${P}said;0;b`));
    expect(results.map((result) => result.status)).toEqual(['fresh', 'recovered']);
    expect(client.id).toBe('me');
    expect(said).toEqual(['a', 'b']);
  });

  it('delivers each wrapped offset once: duplicates and older offsets are dropped', () => {
    const { client, kit } = recovering();
    const said: unknown[] = [];
    client.on('said', (value) => said.push(value));
    kit.last.receive(session({ id: 'me', token: 'tok', offset: 10, recovered: false }));
    for (const [offset, text] of [
      [10, 'baseline'],
      [11, 'one'],
      [11, 'one again'],
      [13, 'three'],
      [12, 'late two'],
      [14, 'four'],
    ] as const) {
      kit.last.receive(wrapped(offset, `${P}said;0;${text}`));
    }
    expect(said).toEqual(['one', 'three', 'four']);
  });

  it('unwraps binary frames at byte level: raw bytes and ";" in the inner message survive', () => {
    const { client, kit } = recovering();
    const blobs: unknown[] = [];
    const texts: unknown[] = [];
    client.on('blob', (value) => blobs.push(value));
    client.on('said', (value) => texts.push(value));
    kit.last.receive(session({ id: 'me', token: 'tok', offset: 0, recovered: false }));
    kit.last.receive(binary(`${P}ws-rooms:m;0;1;${P}blob;3;`, [0xff, 0x3b, 0x00, 0xc3, 0x28]));
    kit.last.receive(binary(`${P}ws-rooms:m;0;2;${P}said;0;a;b é`));
    kit.last.receive(binary(`${P}ws-rooms:m;0;2;${P}blob;3;`, [1]));
    expect(blobs).toEqual([Uint8Array.of(0xff, 0x3b, 0x00, 0xc3, 0x28)]);
    expect(texts).toEqual(['a;b é']);
  });

  it('routes wrapped reserved events (presence) and wrapped native messages', () => {
    const { client, kit } = recovering();
    const native: unknown[] = [];
    client.onMessage((data) => native.push(data));
    kit.last.receive(session({ id: 'me', token: 'tok', offset: 0, recovered: false }));
    kit.last.receive(
      wrapped(1, `${P}ws-rooms:presence;4;{"room":"r","joined":{"id":"x","meta":{}}}`),
    );
    kit.last.receive(wrapped(2, 'plain native text'));
    kit.last.receive(wrapped(3, `${P}ws-rooms:m;0;9;${P}said;0;nested`));
    expect(client.presence('r')).toEqual([{ id: 'x', meta: {} }]);
    expect(native).toEqual(['plain native text']);
  });

  it('reports a malformed wrapper and malformed inner messages', () => {
    const { kit, errors } = recovering();
    kit.last.receive(session({ id: 'me', token: 'tok', offset: 0, recovered: false }));
    kit.last.receive(wrapped(0, `${P}said;0;x`));
    kit.last.receive(`${P}ws-rooms:m;0;abc`);
    kit.last.receive(wrapped(5, `${P}said;9;x`));
    expect(errors.map((error) => error.code)).toEqual([
      'WS_ROOMS_MALFORMED_MESSAGE',
      'WS_ROOMS_MALFORMED_MESSAGE',
      'WS_ROOMS_UNKNOWN_PAYLOAD_TYPE',
    ]);
  });

  it('signals a failed resume with its reason, a new id, and a new baseline', () => {
    const { client, kit, timers, results } = recovering();
    const said: unknown[] = [];
    client.on('said', (value) => said.push(value));
    kit.last.receive(session({ id: 'old', token: 'tok', offset: 0, recovered: false }));
    kit.last.receive(wrapped(900, `${P}said;0;before`));
    kit.last.dropConnection();
    timers.runNext();
    kit.last.acceptOpen();
    // The server restarted: its offsets start over, lower than the last one seen.
    kit.last.receive(
      session({ id: 'new', token: 'tok2', offset: 0, recovered: false, reason: 'unknown-session' }),
    );
    kit.last.receive(wrapped(1, `${P}said;0;after`));
    expect(results[1]).toEqual({
      status: 'failed',
      recovered: false,
      reason: 'unknown-session',
      id: 'new',
      previousId: 'old',
    });
    expect(client.id).toBe('new');
    expect(said).toEqual(['before', 'after']);
  });

  it('starts a fresh session after close() and connect()', () => {
    const { client, kit, results } = recovering();
    kit.last.receive(session({ id: 'a', token: 'tok', offset: 3, recovered: false }));
    client.close();
    client.connect();
    expect(kit.last.url).toBe('ws://server/chat?ws-rooms-recovery=1');
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'b', token: 'tok2', offset: 3, recovered: false }));
    expect(results.map((result) => result.status)).toEqual(['fresh', 'fresh']);
  });

  it('reports a malformed session and ignores a session it did not ask for', () => {
    const { kit, errors } = recovering();
    kit.last.receive(session({ id: 'a' }));
    expect(errors.map((error) => error.event)).toEqual(['ws-rooms:session']);
    const plain = openHarness();
    plain.kit.last.receive(session({ id: 'a', token: 't', offset: 0, recovered: false }));
    expect(plain.client.id).toBe('fake-1');
    expect(plain.errors).toEqual([]);
  });
});

describe('WsRoomsClient presence', () => {
  const presence = (body: object) => `${P}ws-rooms:presence;4;${JSON.stringify(body)}`;
  const alice = { id: 'a', meta: { name: 'alice' } };
  const bob = { id: 'b', meta: { name: 'bob' } };

  it('keeps the view and tells listeners, with the view already updated', () => {
    const { client, kit } = openHarness();
    const seen: [PresenceChange, number][] = [];
    client.onPresence((change) => seen.push([change, client.presence('lobby').length]));
    kit.last.receive(presence({ room: 'lobby', members: [alice] }));
    kit.last.receive(presence({ room: 'lobby', joined: bob }));
    kit.last.receive(presence({ room: 'lobby', left: { id: 'a' } }));
    expect(seen).toEqual([
      [{ type: 'members', room: 'lobby', members: [alice] }, 1],
      [{ type: 'joined', room: 'lobby', member: bob }, 2],
      [{ type: 'left', room: 'lobby', id: 'a' }, 1],
    ]);
    expect(client.presence('lobby')).toEqual([bob]);
  });

  it('reports a malformed presence payload', () => {
    const { kit, errors } = openHarness();
    kit.last.receive(presence({ room: 'lobby' }));
    expect(errors.map((error) => [error.code, error.event])).toEqual([
      ['WS_ROOMS_INVALID_PAYLOAD', 'ws-rooms:presence'],
    ]);
  });

  it('without recovery, forgets the view when the connection is lost', () => {
    const { client, kit } = openHarness();
    const seen: PresenceChange[] = [];
    kit.last.receive(presence({ room: 'lobby', members: [alice] }));
    client.onPresence((change) => seen.push(change));
    kit.last.dropConnection();
    expect(client.presence('lobby')).toEqual([]);
    expect(seen).toEqual([{ type: 'members', room: 'lobby', members: [] }]);
  });

  it('with recovery, keeps the view until the session says whether it was recovered', () => {
    const { client, kit, timers } = openHarness({ recovery: true });
    const session = (body: object) => `${P}ws-rooms:session;4;${JSON.stringify(body)}`;
    kit.last.receive(session({ id: 'a', token: 't', offset: 0, recovered: false }));
    kit.last.receive(presence({ room: 'lobby', members: [alice, bob] }));
    kit.last.dropConnection();
    timers.runNext();
    kit.last.acceptOpen();
    expect(client.presence('lobby')).toEqual([alice, bob]);
    kit.last.receive(session({ id: 'a', token: 't', recovered: true }));
    expect(client.presence('lobby')).toEqual([alice, bob]);
    kit.last.dropConnection();
    timers.runNext();
    kit.last.acceptOpen();
    kit.last.receive(session({ id: 'c', token: 't2', offset: 0, recovered: false }));
    expect(client.presence('lobby')).toEqual([]);
  });

  it('forgets the view on close()', () => {
    const { client, kit } = openHarness();
    kit.last.receive(presence({ room: 'lobby', members: [alice] }));
    client.close();
    expect(client.presence('lobby')).toEqual([]);
  });
});
