import { Module } from '@nestjs/common';
import {
  All,
  ConnectedSocket,
  type DisconnectInfo,
  MessageBody,
  MessageIsBinary,
  NotMe,
  OnEvent,
  OnMessage,
  type OnWsConnection,
  type OnWsDisconnect,
  RoomsService,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { ProtocolClient, eventually } from './support/protocol-client';
import { PLATFORMS, type RunningApp, startAppOn } from './support/test-app';
import { RoomMembershipHandlers } from './support/room-membership.handlers';

const log: string[] = [];
const connections = new Map<string, WsConnection>();

@WsRoomsGateway()
class CoreGateway extends RoomMembershipHandlers implements OnWsConnection, OnWsDisconnect {
  onWsConnection(c: WsConnection): void {
    connections.set(c.id, c);
    c.emit('welcome', c.id);
  }

  onWsDisconnect(c: WsConnection, info: DisconnectInfo): void {
    log.push(`gateway:${c.id}:${info.code}:${info.initiator}`);
  }

  @OnEvent('to-room')
  toRoom(
    @ConnectedSocket() c: WsConnection,
    @MessageBody() body: { room: string; text: string },
  ): void {
    c.to(body.room).emit('said', body.text);
  }

  @OnEvent('to-rooms')
  toRooms(
    @ConnectedSocket() c: WsConnection,
    @MessageBody() body: { rooms: string[]; except?: string; text: string },
  ): void {
    let operator = c.to(body.rooms[0]);
    for (const room of body.rooms.slice(1)) operator = operator.to(room);
    if (body.except) operator = operator.except(body.except);
    operator.emit('said', body.text);
  }

  @OnEvent('to-all')
  toAll(@ConnectedSocket() c: WsConnection, @MessageBody() text: string): void {
    c.to(All).emit('said', text);
  }

  @OnEvent('not-me')
  notMe(@ConnectedSocket() c: WsConnection, @MessageBody() text: string): void {
    c.to(NotMe).emit('said', text);
  }

  @OnEvent('native-to')
  nativeTo(@ConnectedSocket() c: WsConnection, @MessageBody() room: string): void {
    c.to(room).emitMessage(`native for ${room}`);
  }

  @OnEvent('typed-string')
  typedString(@MessageBody() value: string): string {
    return `${typeof value}:${value}`;
  }

  @OnEvent('typed-number')
  typedNumber(@MessageBody() value: number): string {
    return `${typeof value}:${value}`;
  }

  @OnEvent('typed-boolean')
  typedBoolean(@MessageBody() value: boolean): string {
    return `${typeof value}:${value}`;
  }

  @OnEvent('typed-buffer')
  typedBuffer(@MessageBody() value: Buffer): string {
    return `${Buffer.isBuffer(value)}:${value.toString('hex')}`;
  }

  @OnEvent('typed-object')
  typedObject(@MessageBody() value: { a: number[] }): { sum: number } {
    return { sum: value.a.reduce((x, y) => x + y, 0) };
  }

  @OnEvent('body-property')
  bodyProperty(@MessageBody('name') name: string): string {
    return `hello ${name}`;
  }

  @OnEvent('ws-response')
  wsResponse(): { event: string; data: number } {
    return { event: 'other-event', data: 7 };
  }

  @OnEvent('emit-types')
  emitTypes(@ConnectedSocket() c: WsConnection): void {
    c.emit('t', 'text');
    c.emit('t', 42);
    c.emit('t', true);
    c.emit('t', Buffer.from([1, 2, 255]));
    c.emit('t', { x: 1 });
    c.emit('t', 3.5);
    c.emit('t', null);
  }

  @OnEvent('throws')
  throws(): never {
    throw new Error('secret internals');
  }

  @OnEvent('rejects')
  async rejects(): Promise<never> {
    throw new Error('async secret');
  }

  @OnEvent('bye')
  bye(@ConnectedSocket() c: WsConnection): void {
    c.onDisconnect((info) => log.push(`listener:${c.id}:${info.code}`));
    c.disconnect(4001, 'bye now');
    c.disconnect(4002, 'twice');
  }

  @OnEvent('per-connection')
  perConnection(@ConnectedSocket() c: WsConnection): string {
    c.on('ping-me', (value) => c.emit('pong-you', `${typeof value}:${String(value)}`));
    return 'ok';
  }

  @OnEvent('data-store')
  dataStore(@ConnectedSocket() c: WsConnection<{ visits?: number }>): number {
    c.data.visits = (c.data.visits ?? 0) + 1;
    return c.data.visits;
  }

  @OnMessage()
  native(
    @ConnectedSocket() c: WsConnection,
    @MessageBody() data: Buffer,
    @MessageIsBinary() isBinary: boolean,
  ): void {
    c.emit('native-echo', `${Buffer.isBuffer(data)}:${data.toString('utf8')}`);
    // A relay: the same bytes back, in the same kind of frame.
    c.emitMessage(data, { binary: isBinary });
  }
}

@WsRoomsGateway()
class SecondGateway implements OnWsDisconnect {
  @OnEvent('second')
  second(): string {
    return 'from the second gateway';
  }

  onWsDisconnect(c: WsConnection): void {
    log.push(`second:${c.id}`);
  }
}

@Module({ imports: [WsRoomsModule.forRoot('/ws')], providers: [CoreGateway, SecondGateway] })
class CoreModule {}

describe.each(PLATFORMS)('core on %s: events, rooms and targets over real sockets', (platform) => {
  let running: RunningApp;
  const clients: ProtocolClient[] = [];

  async function connect(): Promise<{ client: ProtocolClient; id: string }> {
    const client = await ProtocolClient.connect(running.wsUrl());
    clients.push(client);
    const welcome = await client.nextEvent('welcome');
    return { client, id: welcome.payload! };
  }

  beforeAll(async () => {
    running = await startAppOn(platform, { imports: [CoreModule] });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    log.length = 0;
  });

  afterAll(async () => {
    await running.close();
  });

  it('gives every connection a 22-character id and a room of its own', async () => {
    const { client, id } = await connect();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    client.emit('join', 'lobby');
    const rooms = await client.nextEvent('join');
    expect(JSON.parse(rooms.payload!)).toEqual([id, 'lobby']);
    expect(connections.get(id)!.isIn(id)).toBe(true);
  });

  it('to(room) reaches every member, the sender included, and nobody else', async () => {
    const a = await connect();
    const b = await connect();
    const outsider = await connect();
    for (const { client } of [a, b]) {
      client.emit('join', 'r1');
      await client.nextEvent('join');
    }
    a.client.send('to-room', 4, JSON.stringify({ room: 'r1', text: 'hi r1' }));
    expect((await a.client.nextEvent('said')).payload).toBe('hi r1');
    expect((await b.client.nextEvent('said')).payload).toBe('hi r1');
    // A marker sent afterwards to everyone proves the outsider got nothing before it.
    a.client.emit('to-all', 'marker');
    expect((await outsider.client.nextEvent('said')).payload).toBe('marker');
    expect(outsider.client.eventsNamed('said')).toHaveLength(1);
  });

  it('to(room) where the sender is not a member does not reach the sender', async () => {
    const a = await connect();
    const b = await connect();
    b.client.emit('join', 'r2');
    await b.client.nextEvent('join');
    a.client.send('to-room', 4, JSON.stringify({ room: 'r2', text: 'for r2' }));
    expect((await b.client.nextEvent('said')).payload).toBe('for r2');
    a.client.emit('not-me', 'marker');
    expect((await b.client.nextEvent('said')).payload).toBe('marker');
    b.client.emit('to-all', 'marker2');
    expect((await a.client.nextEvent('said')).payload).toBe('marker2');
    expect(a.client.eventsNamed('said').map((m) => m.payload)).toEqual(['marker2']);
  });

  it('to(id) reaches exactly that connection', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    a.client.send('to-room', 4, JSON.stringify({ room: b.id, text: 'private' }));
    expect((await b.client.nextEvent('said')).payload).toBe('private');
    a.client.emit('to-all', 'marker');
    await c.client.nextEvent('said');
    await a.client.nextEvent('said');
    expect(c.client.eventsNamed('said')).toHaveLength(1);
    expect(a.client.eventsNamed('said')).toHaveLength(1);
  });

  it('to(unknown room) reaches nobody (the original sent to everyone: a bug)', async () => {
    const a = await connect();
    const b = await connect();
    a.client.send('to-room', 4, JSON.stringify({ room: 'no-such-room', text: 'lost' }));
    a.client.emit('to-all', 'marker');
    await b.client.nextEvent('said');
    await a.client.nextEvent('said');
    expect(b.client.eventsNamed('said').map((m) => m.payload)).toEqual(['marker']);
    expect(a.client.eventsNamed('said').map((m) => m.payload)).toEqual(['marker']);
  });

  it('to(All) reaches everyone including the sender; to(NotMe) everyone but the sender', async () => {
    const a = await connect();
    const b = await connect();
    a.client.emit('to-all', 'everyone');
    expect((await a.client.nextEvent('said')).payload).toBe('everyone');
    expect((await b.client.nextEvent('said')).payload).toBe('everyone');
    a.client.emit('not-me', 'others');
    expect((await b.client.nextEvent('said')).payload).toBe('others');
    b.client.emit('not-me', 'back');
    expect((await a.client.nextEvent('said')).payload).toBe('back');
    expect(a.client.eventsNamed('said').map((m) => m.payload)).toEqual(['everyone', 'back']);
  });

  it('several target rooms deliver once per recipient, and except() removes members', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    for (const [client, room] of [
      [a.client, 'x'],
      [a.client, 'y'],
      [b.client, 'y'],
      [c.client, 'x'],
      [c.client, 'z'],
    ] as const) {
      client.emit('join', room);
      await client.nextEvent('join');
    }
    a.client.send(
      'to-rooms',
      4,
      JSON.stringify({ rooms: ['x', 'y'], except: 'z', text: 'xy-not-z' }),
    );
    expect((await a.client.nextEvent('said')).payload).toBe('xy-not-z');
    expect((await b.client.nextEvent('said')).payload).toBe('xy-not-z');
    a.client.emit('to-all', 'marker');
    expect((await c.client.nextEvent('said')).payload).toBe('marker');
    expect(c.client.eventsNamed('said')).toHaveLength(1);
    await a.client.nextEvent('said');
    expect(a.client.eventsNamed('said')).toHaveLength(2);
  });

  it('join is idempotent and leave removes the membership', async () => {
    const a = await connect();
    a.client.emit('join', 'dup');
    await a.client.nextEvent('join');
    a.client.emit('join', 'dup');
    expect(JSON.parse((await a.client.nextEvent('join')).payload!)).toEqual([a.id, 'dup']);
    a.client.send('to-room', 4, JSON.stringify({ room: 'dup', text: 'once' }));
    await a.client.nextEvent('said');
    a.client.emit('leave', 'dup');
    expect(JSON.parse((await a.client.nextEvent('leave')).payload!)).toEqual([a.id]);
    a.client.send('to-room', 4, JSON.stringify({ room: 'dup', text: 'gone' }));
    a.client.emit('to-all', 'marker');
    await a.client.next((m) => m.payload === 'marker');
    expect(a.client.eventsNamed('said').map((m) => m.payload)).toEqual(['once', 'marker']);
  });

  it('emitMessage sends native messages to a room', async () => {
    const a = await connect();
    a.client.emit('native-to', a.id);
    const message = await a.client.next((m) => m.event === undefined);
    expect(message.raw.toString()).toBe(`native for ${a.id}`);
  });

  it('encodes every value type as docs/protocol.md, "Payload types", says', async () => {
    const a = await connect();
    a.client.emit('emit-types', '');
    const got: string[] = [];
    for (let i = 0; i < 7; i++) {
      const m = await a.client.nextEvent('t');
      got.push(`${m.type};${m.payload}`);
    }
    expect(got).toEqual([
      '0;text',
      '1;42',
      '2;true',
      '3;\u0001\u0002\u00ff',
      '4;{"x":1}',
      '4;3.5',
      '4;null',
    ]);
    // Bytes that are not UTF-8 travel in a binary frame: a text frame would be invalid.
    expect(a.client.eventsNamed('t')[3].isBinary).toBe(true);
    expect(a.client.eventsNamed('t')[0].isBinary).toBe(false);
  });

  it('converts payloads to the declared body type', async () => {
    const a = await connect();
    a.client.send('typed-string', 1, '42');
    expect((await a.client.nextEvent('typed-string')).payload).toBe('string:42');
    a.client.send('typed-number', 1, '007');
    expect((await a.client.nextEvent('typed-number')).payload).toBe('number:7');
    a.client.send('typed-number', 1, '3.5');
    expect((await a.client.nextEvent('typed-number')).payload).toBe('number:3.5');
    a.client.send('typed-boolean', 2, 'T');
    expect((await a.client.nextEvent('typed-boolean')).payload).toBe('boolean:true');
    a.client.send('typed-boolean', 1, 'true');
    expect((await a.client.nextEvent('typed-boolean')).payload).toBe('boolean:true');
    a.client.send('typed-buffer', 3, Buffer.from([0, 1, 254]));
    expect((await a.client.nextEvent('typed-buffer')).payload).toBe('true:0001fe');
    a.client.send('typed-object', 4, '{"a":[1,2,3]}');
    const sum = await a.client.nextEvent('typed-object');
    expect(sum.type).toBe(4);
    expect(JSON.parse(sum.payload!)).toEqual({ sum: 6 });
    a.client.send('body-property', 4, '{"name":"iris"}');
    expect((await a.client.nextEvent('body-property')).payload).toBe('hello iris');
  });

  it('a payload that cannot become the declared type gets an error event, and the connection stays up', async () => {
    const a = await connect();
    a.client.send('typed-number', 0, 'not a number');
    const error = JSON.parse((await a.client.nextEvent('ws-rooms:error')).payload!);
    expect(error).toMatchObject({ code: 'WS_ROOMS_PAYLOAD_CONVERSION', event: 'typed-number' });
    a.client.send('typed-number', 1, '5');
    expect((await a.client.nextEvent('typed-number')).payload).toBe('number:5');
  });

  it('a { event, data } return value is sent as that event', async () => {
    const a = await connect();
    a.client.emit('ws-response', '');
    const m = await a.client.nextEvent('other-event');
    expect([m.type, m.payload]).toEqual([1, '7']);
  });

  it.each([
    ['prefix only', 'iris-websocket-message:', 'WS_ROOMS_MALFORMED_MESSAGE'],
    ['no semicolon', 'iris-websocket-message:chat', 'WS_ROOMS_MALFORMED_MESSAGE'],
    ['no type digit', 'iris-websocket-message:typed-number;', 'WS_ROOMS_MALFORMED_MESSAGE'],
    [
      'unknown type digit',
      'iris-websocket-message:typed-number;9;x',
      'WS_ROOMS_UNKNOWN_PAYLOAD_TYPE',
    ],
    ['bad integer', 'iris-websocket-message:typed-number;1;x1', 'WS_ROOMS_INVALID_PAYLOAD'],
    ['bad JSON', 'iris-websocket-message:typed-object;4;{', 'WS_ROOMS_INVALID_PAYLOAD'],
    ['bad boolean', 'iris-websocket-message:typed-boolean;2;maybe', 'WS_ROOMS_INVALID_PAYLOAD'],
  ])(
    'malformed input (%s) gets an error event and the connection stays up',
    async (_name, raw, code) => {
      const a = await connect();
      a.client.sendRaw(raw);
      const error = JSON.parse((await a.client.nextEvent('ws-rooms:error')).payload!);
      expect(error.code).toBe(code);
      a.client.send('typed-string', 0, 'still here');
      expect((await a.client.nextEvent('typed-string')).payload).toBe('string:still here');
    },
  );

  it('ignores events nobody handles, and reserved event names from clients', async () => {
    const a = await connect();
    a.client.emit('nobody-listens', 'x');
    a.client.emit('ws-rooms:error', 'spoof');
    a.client.send('typed-string', 0, 'after');
    expect((await a.client.nextEvent('typed-string')).payload).toBe('string:after');
    expect(a.client.eventsNamed('ws-rooms:error')).toHaveLength(0);
  });

  it('handler errors reach the sender as an error event without internals, and never close the connection', async () => {
    const a = await connect();
    a.client.emit('throws', '');
    expect(JSON.parse((await a.client.nextEvent('ws-rooms:error')).payload!)).toEqual({
      code: 'WS_ROOMS_HANDLER_ERROR',
      message: 'Internal server error',
      event: 'throws',
    });
    a.client.emit('rejects', '');
    expect(JSON.parse((await a.client.nextEvent('ws-rooms:error')).payload!).event).toBe('rejects');
    a.client.emit('second', '');
    expect((await a.client.nextEvent('second')).payload).toBe('from the second gateway');
  });

  it('native messages reach @OnMessage handlers raw', async () => {
    const a = await connect();
    a.client.sendRaw('just text');
    expect((await a.client.nextEvent('native-echo')).payload).toBe('true:just text');
    a.client.sendRaw(Buffer.from('binary frame'), true);
    expect((await a.client.nextEvent('native-echo')).payload).toBe('true:binary frame');
  });

  it('@MessageIsBinary() tells an @OnMessage relay the frame kind, so it answers in kind', async () => {
    const a = await connect();
    a.client.sendRaw('text frame');
    const text = await a.client.next((m) => m.event === undefined);
    expect([text.isBinary, text.raw.toString()]).toEqual([false, 'text frame']);
    // Not UTF-8: only a binary frame can carry these bytes back.
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    a.client.sendRaw(bytes, true);
    const binary = await a.client.next((m) => m.event === undefined);
    expect([binary.isBinary, binary.raw]).toEqual([true, bytes]);
    // UTF-8 text sent in a binary frame stays binary.
    a.client.sendRaw(Buffer.from('binary text'), true);
    const binaryText = await a.client.next((m) => m.event === undefined);
    expect([binaryText.isBinary, binaryText.raw.toString()]).toEqual([true, 'binary text']);
  });

  it('per-connection listeners (c.on) receive decoded values', async () => {
    const a = await connect();
    a.client.emit('per-connection', '');
    await a.client.nextEvent('per-connection');
    a.client.send('ping-me', 1, '12');
    expect((await a.client.nextEvent('pong-you')).payload).toBe('number:12');
  });

  it('keeps typed per-connection data', async () => {
    const a = await connect();
    a.client.emit('data-store', '');
    expect((await a.client.nextEvent('data-store')).payload).toBe('1');
    a.client.emit('data-store', '');
    expect((await a.client.nextEvent('data-store')).payload).toBe('2');
  });

  it('disconnect is idempotent: the client gets one close frame and the hooks run once, in order', async () => {
    const a = await connect();
    a.client.emit('bye', '');
    expect(await a.client.waitClose()).toEqual({ code: 4001, reason: 'bye now' });
    await eventually(() => log.length >= 3, 3000, 'disconnect hooks');
    expect(log).toEqual([`gateway:${a.id}:4001:server`, `second:${a.id}`, `listener:${a.id}:4001`]);
    expect(connections.get(a.id)!.isOpen).toBe(false);
  });

  it('a client-side close runs the disconnect hooks once and empties its rooms', async () => {
    const a = await connect();
    const b = await connect();
    a.client.emit('join', 'leaving');
    await a.client.nextEvent('join');
    await a.client.close();
    await eventually(() => log.length >= 2, 3000, 'disconnect hooks');
    expect(log).toEqual([`gateway:${a.id}:1005:client`, `second:${a.id}`]);
    const rooms = running.app.get(RoomsService);
    expect(await rooms.members('leaving')).toEqual([]);
    expect(await rooms.rooms()).not.toContain('leaving');
    expect(b.client.ws.readyState).toBe(1);
  });
});
