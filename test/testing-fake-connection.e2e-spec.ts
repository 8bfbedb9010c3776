/**
 * `FakeWsConnection` from `ws-rooms/testing`: a gateway's handlers unit-tested with the fake, and
 * the same handlers driven through a real app over a socket, with the same expectations. What the
 * fake records (emits, broadcasts and their routes, rooms, requests, disconnects) is what the real
 * connection does.
 */
import type { INestApplication } from '@nestjs/common';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  ConnectedSocket,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type OnWsDisconnect,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { FakeWsConnection, WsRoomsTestClient } from 'ws-rooms/testing';

interface User {
  readonly name: string;
}

interface QuizEvents {
  toServer: { enter: string; answer: number; quit: void };
  toClient: { question: string; entered: string; score: number; bye: void };
  requestsToClient: { ready(question: string): boolean };
}

type QuizConnection = WsConnection<{ score: number }, User, QuizEvents>;

/** Keeps who left, for the test to read. */
@Injectable()
class Departures {
  readonly names: string[] = [];
}

@WsRoomsGateway()
class QuizGateway implements OnWsConnection<QuizConnection>, OnWsDisconnect<QuizConnection> {
  constructor(private readonly departures: Departures) {}

  onWsConnection(c: QuizConnection): void {
    c.data.score = 0;
    c.emit('question', `${c.principal.name}, what is 6 × 7?`);
  }

  @OnEvent('enter')
  async enter(@ConnectedSocket() c: QuizConnection, @MessageBody() room: string): Promise<boolean> {
    await c.join(room);
    c.to(room).except(c.id).emit('entered', c.principal.name);
    return c.request('ready', `ready for ${room}?`);
  }

  @OnEvent('answer')
  answer(@ConnectedSocket() c: QuizConnection, @MessageBody() value: number): void {
    if (value === 42) c.data.score++;
    c.emit('score', c.data.score);
  }

  @OnEvent('quit')
  quit(@ConnectedSocket() c: QuizConnection): void {
    c.emit('bye');
    c.disconnect(4000, 'quit');
  }

  onWsDisconnect(c: QuizConnection): void {
    this.departures.names.push(c.principal.name);
  }
}

@Module({
  imports: [
    WsRoomsModule.forRoot({
      endpoint: '/quiz',
      authenticate: (request) => ({
        name: new URL(request.url ?? '', 'http://x').searchParams.get('name') ?? 'anonymous',
      }),
    }),
  ],
  providers: [QuizGateway, Departures],
})
class QuizModule {}

describe('FakeWsConnection: unit tests of the handlers', () => {
  const departures = new Departures();
  const gateway = new QuizGateway(departures);
  const alice = () =>
    new FakeWsConnection<{ score: number }, User, QuizEvents>({
      id: 'alice-id',
      principal: { name: 'alice' },
      data: { score: 0 },
    });

  it('records what the connection hook sends', () => {
    const c = alice();
    gateway.onWsConnection(c);
    expect(c.emittedValues('question')).toEqual(['alice, what is 6 × 7?']);
  });

  it('records joins, the broadcast with its route, and answers requests', async () => {
    const c = alice();
    c.answer('ready', (question) => question === 'ready for lobby?');
    await expect(gateway.enter(c, 'lobby')).resolves.toBe(true);
    expect(c.rooms()).toEqual(['alice-id', 'lobby']);
    expect(c.joined).toEqual(['lobby']);
    expect(c.broadcasts).toEqual([
      {
        kind: 'emit',
        targets: ['lobby'],
        except: ['alice-id'],
        volatile: false,
        binary: false,
        event: 'entered',
        value: 'alice',
      },
    ]);
    expect(c.requests).toEqual([{ event: 'ready', value: 'ready for lobby?' }]);
  });

  it('rejects a request nobody answers as a client without a handler would', async () => {
    await expect(gateway.enter(alice(), 'lobby')).rejects.toMatchObject({
      code: 'WS_ROOMS_NO_HANDLER',
    });
  });

  it('keeps the per-connection data across handlers', () => {
    const c = alice();
    gateway.answer(c, 42);
    gateway.answer(c, 41);
    gateway.answer(c, 42);
    expect(c.emittedValues('score')).toEqual([1, 1, 2]);
  });

  it('ends once, runs the disconnect listeners, and sends nothing after', () => {
    const c = alice();
    const ended: unknown[] = [];
    c.onDisconnect((info) => ended.push(info));
    gateway.quit(c);
    c.disconnect();
    c.emit('score', 9);
    expect(c.emitted).toEqual([{ event: 'bye', value: undefined }]);
    expect(ended).toEqual([{ code: 4000, reason: 'quit', initiator: 'server' }]);
    expect(c.isOpen).toBe(false);
    expect(c.rooms()).toEqual([]);
    expect(() => c.disconnect(1006)).toThrow(
      expect.objectContaining({ code: 'WS_ROOMS_INVALID_OPTION' }),
    );
  });
});

describe('FakeWsConnection: the same handlers in a real app', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [QuizModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
  });
  afterAll(async () => app.close());

  it('behaves as the fake recorded', async () => {
    const alice = await WsRoomsTestClient.connect<QuizEvents>(app, { query: { name: 'alice' } });
    const bob = await WsRoomsTestClient.connect<QuizEvents>(app, { query: { name: 'bob' } });
    try {
      expect(await alice.next('question')).toBe('alice, what is 6 × 7?');

      alice.onRequest('ready', (question) => question === 'ready for lobby?');
      bob.onRequest('ready', () => true);
      await bob.emit('enter', 'lobby');
      await alice.emit('enter', 'lobby');
      // The broadcast excluded its sender, as the fake's route said.
      expect(await bob.next('entered')).toBe('alice');
      expect(alice.received('entered')).toEqual([]);

      await alice.emit('answer', 42);
      await alice.emit('answer', 41);
      await alice.emit('answer', 42);
      expect([
        await alice.next('score'),
        await alice.next('score'),
        await alice.next('score'),
      ]).toEqual([1, 1, 2]);

      await alice.emit('quit');
      expect(await alice.next('bye')).toBeNull();
      expect(await alice.nextDisconnect()).toMatchObject({ code: 4000, reason: 'quit' });
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
    expect(app.get(Departures).names).toContain('alice');
  });
});
