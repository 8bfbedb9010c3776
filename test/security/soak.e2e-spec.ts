import { Module } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  ConnectionsService,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  RoomsService,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { eventually, withTimeout } from '../support/protocol-client';
import { type RunningApp, startApp } from '../support/test-app';

const PREFIX = 'iris-websocket-message:';
const ROOM = 'churn';

@WsRoomsGateway()
class SoakGateway implements OnWsConnection {
  async onWsConnection(connection: WsConnection): Promise<void> {
    await connection.join(ROOM);
    connection.emit('welcome', connection.id);
  }

  @OnEvent('say')
  say(@ConnectedSocket() connection: WsConnection, @MessageBody() text: string): void {
    connection.to(ROOM).emit('said', text);
  }

  @OnEvent('solo')
  async solo(
    @ConnectedSocket() connection: WsConnection,
    @MessageBody() room: string,
  ): Promise<void> {
    // A room of its own per connection: the room count must come back to zero too.
    await connection.join(room);
  }
}

@Module({
  // Every churn connection comes from 127.0.0.1, far faster than the per-address connection rate.
  imports: [WsRoomsModule.forRoot({ endpoint: '/ws', maxConnectionRatePerAddress: 0 })],
  providers: [SoakGateway],
})
class SoakModule {}

/** `global.gc` when the process exposes it, else the same function obtained through V8's flags. */
function collectGarbage(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function countResources(kind: string): number {
  return process.getActiveResourcesInfo().filter((name) => name === kind).length;
}

/** A client in the room that stays for the whole run and counts what it hears. */
async function listener(url: string): Promise<{ ws: WebSocket; heard: () => number }> {
  const ws = new WebSocket(url);
  let heard = 0;
  ws.on('message', (data: Buffer) => {
    if (data.toString('latin1', 0, PREFIX.length + 5) === `${PREFIX}said;`) heard++;
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve()); // the welcome: it is in the room now
      ws.once('error', reject);
    }),
    5000,
    'a listener to connect',
  );
  return { ws, heard: () => heard };
}

/**
 * One short-lived connection: it opens, is put in the room, says one thing to the room, hears it
 * back (so the message went through), takes a room of its own, and closes. Bounded.
 */
function churnOnce(url: string, tag: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('error', reject);
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith(`${PREFIX}welcome;`)) {
          ws.send(`${PREFIX}solo;0;solo-${tag}`);
          ws.send(`${PREFIX}say;0;${tag}`);
        } else if (text === `${PREFIX}said;0;${tag}`) {
          ws.close();
        }
      });
      ws.once('close', () => resolve());
    }),
    10_000,
    `churn connection ${tag}`,
  );
}

/** Runs `total` churn connections with at most `concurrency` of them at a time. */
async function churn(
  url: string,
  round: number,
  total: number,
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      await churnOnce(url, `${round}-${index}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe('soak: connection churn with messages flowing, then everything returns to zero', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp({ imports: [SoakModule] });
  });

  afterAll(async () => {
    await running.close();
  });

  it('3000 connections in churn (at most 200 at once): counts, rooms, timers and heap settle', async () => {
    const url = running.wsUrl('/ws');
    const connections = running.app.get(ConnectionsService);
    const rooms = running.app.get(RoomsService);
    const gc = collectGarbage();
    const settle = async (): Promise<number> => {
      await eventually(() => connections.count === listeners.length, 5000, 'churn to end');
      for (let i = 0; i < 3; i++) {
        gc?.();
        await new Promise((resolve) => setImmediate(resolve));
      }
      return process.memoryUsage().heapUsed;
    };

    const listeners = await Promise.all([0, 1, 2].map(() => listener(url)));
    const timersAtStart = countResources('Timeout');
    const rounds = 2;
    const perRound = 1500;
    const heap: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await churn(url, round, perRound, 200);
      heap.push(await settle());
      // No timer per connection survives a round (a transient one, e.g. a closing socket's, may).
      await eventually(
        () => countResources('Timeout') <= timersAtStart + 2,
        3000,
        'timers back to the baseline (+2)',
      );
      // Every churn connection's message reached every listener.
      for (const { heard } of listeners) expect(heard()).toBe(perRound * (round + 1));
      expect(await rooms.rooms()).toEqual([ROOM]);
    }

    const stats = connections.stats();
    expect(stats.connectionsOpened).toBe(listeners.length + rounds * perRound);
    expect(stats).toMatchObject({ slowConsumerCuts: 0, rateLimitCuts: 0, handlerErrors: 0 });
    // The second round keeps nothing the first did not: a leaked connection costs ~6 KiB, so 1500
    // of them would show as ~9 MiB; the bound leaves GC noise 4 MiB (48 MiB when GC is not exposed).
    expect(heap[1] - heap[0]).toBeLessThan((gc ? 4 : 48) * 1024 * 1024);

    await Promise.all(
      listeners.map(({ ws }) => {
        const closed = new Promise((resolve) => ws.once('close', resolve));
        ws.close();
        return withTimeout(closed, 3000, 'a listener to close');
      }),
    );
    await eventually(() => connections.count === 0, 3000, 'every connection gone');
    expect(await rooms.rooms()).toEqual([]);
    await eventually(() => countResources('TCPSocketWrap') === 0, 3000, 'no TCP socket left');
  }, 60_000);
});
