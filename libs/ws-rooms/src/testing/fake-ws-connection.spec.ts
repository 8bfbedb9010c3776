import { All, NotMe } from '../interfaces/targets';
import { FakeWsConnection } from './fake-ws-connection';

interface ChatEvents {
  toServer: { chat: string; typing: void };
  toClient: { chat: string; members: number; ping: void };
  requestsToClient: { confirm(question: string): boolean; later(): Promise<string> };
}

interface User {
  readonly name: string;
}

const fake = () =>
  new FakeWsConnection<{ visits: number }, User, ChatEvents>({
    id: 'me',
    principal: { name: 'alice' },
    data: { visits: 1 },
    url: '/chat?room=1',
    headers: { origin: 'http://app' },
  });

describe('FakeWsConnection', () => {
  it('is made of its options, with the defaults of a real connection', () => {
    const c = fake();
    expect([c.id, c.endpoint, c.principal, c.data, c.recovered, c.isOpen]).toEqual([
      'me',
      'default',
      { name: 'alice' },
      { visits: 1 },
      false,
      true,
    ]);
    expect(c.upgradeRequest).toEqual({
      method: 'GET',
      url: '/chat?room=1',
      httpVersion: '1.1',
      headers: { origin: 'http://app' },
    });
    expect(c.headers.origin).toBe('http://app');
    const other = new FakeWsConnection();
    expect(other.id).toMatch(/^fake-connection-\d+$/);
    expect(other.id).not.toBe(new FakeWsConnection().id);
  });

  it('records emits and native messages with their options, typed by the map', () => {
    const c = fake();
    c.emit('chat', 'hi');
    c.emit('ping', undefined, { volatile: true });
    c.emit('members', 2);
    c.emitMessage('raw', { binary: true });
    // @ts-expect-error a number is not a chat message
    c.emit('chat', 3);
    expect(c.emitted.slice(0, 3)).toEqual([
      { event: 'chat', value: 'hi' },
      { event: 'ping', value: undefined, options: { volatile: true } },
      { event: 'members', value: 2 },
    ]);
    const members: number[] = c.emittedValues('members');
    expect(members).toEqual([2]);
    expect(c.messages).toEqual([{ data: 'raw', options: { binary: true } }]);
  });

  it('records broadcasts with their whole route; a partial route is reusable', async () => {
    const c = fake();
    const lobby = c.to('lobby').except('me');
    lobby.emit('chat', 'one');
    lobby.volatile.binary.emit('ping');
    c.to(All).in('x').emitMessage('raw');
    c.to(NotMe).emit('members', 3);
    const result = await c.to('poll').request('confirm', 'lunch?', { timeout: 50 });
    expect(result).toEqual({ replies: new Map(), errors: new Map(), missing: [], partial: false });
    const route = { volatile: false, binary: false };
    expect(c.broadcasts).toEqual([
      { kind: 'emit', targets: ['lobby'], except: ['me'], ...route, event: 'chat', value: 'one' },
      {
        kind: 'emit',
        targets: ['lobby'],
        except: ['me'],
        volatile: true,
        binary: true,
        event: 'ping',
        value: undefined,
      },
      { kind: 'emitMessage', targets: ['', 'x'], except: [], ...route, data: 'raw' },
      { kind: 'emit', targets: [NotMe], except: [], ...route, event: 'members', value: 3 },
      {
        kind: 'request',
        targets: ['poll'],
        except: [],
        ...route,
        event: 'confirm',
        value: 'lunch?',
        options: { timeout: 50 },
      },
    ]);
  });

  it('keeps rooms as a real connection does: own id first, idempotent joins', async () => {
    const c = fake();
    await c.join('a');
    await c.join('a');
    await c.join('me');
    await c.join('b');
    await c.leave('a');
    await c.leave('never');
    expect(c.rooms()).toEqual(['me', 'b']);
    expect([c.isIn('me'), c.isIn('a'), c.isIn('b')]).toEqual([true, false, true]);
    expect(c.joined).toEqual(['a', 'a', 'me', 'b']);
    expect(c.left).toEqual(['a', 'never']);
  });

  it('answers requests with the test answers, and rejects as the real one does', async () => {
    const c = fake();
    c.answer('confirm', (question) => question.endsWith('?'));
    c.answer('later', async () => 'done');
    await expect(c.request('confirm', 'ok?')).resolves.toBe(true);
    await expect(c.request('later')).resolves.toBe('done');
    c.answer('confirm', () => {
      throw new Error('declined');
    });
    await expect(c.request('confirm', 'again?')).rejects.toThrow('declined');
    const untyped = new FakeWsConnection();
    await expect(untyped.request('anything', 1)).rejects.toMatchObject({
      code: 'WS_ROOMS_NO_HANDLER',
    });
    expect(c.requests.map((r) => r.event)).toEqual(['confirm', 'later', 'confirm']);
    // @ts-expect-error the reply of confirm is a boolean
    c.answer('confirm', () => 'yes');
  });

  it('hands client events and native messages to the per-connection listeners', () => {
    const c = fake();
    const seen: string[] = [];
    const off = c.on('chat', (text) => seen.push(text.toUpperCase()));
    c.onMessage((data) => seen.push(data.toString()));
    c.receive('chat', 'hi');
    c.receiveMessage(Buffer.from('raw'));
    off();
    c.receive('chat', 'unheard');
    // @ts-expect-error chat carries a string
    c.receive('chat', 1);
    expect(seen).toEqual(['HI', 'raw']);
  });

  it('ends once; after that it records and holds nothing', async () => {
    const c = fake();
    await c.join('a');
    const ends: unknown[] = [];
    c.onDisconnect((info) => ends.push(info));
    c.closeFromClient(1001, 'tab closed');
    c.disconnect();
    c.emit('chat', 'lost');
    c.to('a').emit('chat', 'lost');
    expect(ends).toEqual([{ code: 1001, reason: 'tab closed', initiator: 'client' }]);
    expect([c.isOpen, c.rooms(), c.emitted, c.broadcasts]).toEqual([false, [], [], []]);
    await expect(c.request('confirm', 'x')).rejects.toMatchObject({
      code: 'WS_ROOMS_REQUEST_ABORTED',
    });
  });

  it('checks the close code as the real connection does', () => {
    const c = fake();
    for (const code of [999, 1001, 2999, 5000, 3000.5]) {
      expect(() => c.disconnect(code)).toThrow(
        expect.objectContaining({ name: 'WsRoomsError', code: 'WS_ROOMS_INVALID_OPTION' }),
      );
    }
    expect(c.isOpen).toBe(true);
    c.disconnect(4000, 'bye');
    expect(c.disconnected).toEqual({ code: 4000, reason: 'bye', initiator: 'server' });
  });
});
