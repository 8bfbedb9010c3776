/**
 * `fragmentTimeout` over real sockets: a client that sends the first fragment of a message (FIN=0)
 * and never the last is closed with 1008, even while it answers with pongs; messages whose fragments
 * arrive within the timeout are handled.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { MessageBody, OnEvent, WsRoomsGateway, WsRoomsModule, type WsRoomsOptions } from 'ws-rooms';
import { FrameSocket, Opcode } from '../support/frames';
import { type RunningApp, startApp } from '../support/test-app';

const PREFIX = 'iris-websocket-message:';

@WsRoomsGateway()
class EchoGateway {
  @OnEvent('echo')
  echo(@MessageBody() value: string): string {
    return value;
  }
}

@Module({})
class FragmentModule {
  static with(options: WsRoomsOptions): DynamicModule {
    return {
      module: FragmentModule,
      imports: [WsRoomsModule.forRoot(options)],
      providers: [EchoGateway],
    };
  }
}

describe('fragmentTimeout: an unfinished fragmented message', () => {
  const apps: RunningApp[] = [];
  const sockets: FrameSocket[] = [];

  async function start(options: Omit<WsRoomsOptions, 'endpoint'>): Promise<FrameSocket> {
    const running = await startApp({
      imports: [FragmentModule.with({ endpoint: '/ws', ...options })],
    });
    apps.push(running);
    const socket = await FrameSocket.open(running.port, '/ws');
    sockets.push(socket);
    return socket;
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(apps.splice(0).map((running) => running.close()));
  });

  it('a first fragment never followed by the last: close 1008 once the timeout has passed', async () => {
    const timeout = 400;
    const socket = await start({ fragmentTimeout: timeout });
    const started = performance.now();
    socket.send({ opcode: Opcode.Text, fin: false, payload: `${PREFIX}echo;0;never ` });
    const close = await socket.closeFrame(5000);
    const elapsed = performance.now() - started;
    expect(close).toEqual({ code: 1008, reason: 'message not completed in time' });
    // Cut between the timeout and a quarter more (the watch's period), plus scheduling slack.
    expect(elapsed).toBeGreaterThanOrEqual(timeout - 20);
    expect(elapsed).toBeLessThan(timeout * 1.25 + 400);
  });

  it('pongs and pings between the fragments do not keep the message open', async () => {
    const socket = await start({ fragmentTimeout: 300 });
    socket.send({ opcode: Opcode.Text, fin: false, payload: `${PREFIX}echo;0;kept ` });
    // Control frames may come between fragments (RFC 6455 5.4): each one is answered or read...
    for (let i = 0; i < 3; i++) {
      socket.send({ opcode: Opcode.Ping, payload: `p${i}` });
      await socket.next((f) => f.opcode === Opcode.Pong);
      socket.send({ opcode: Opcode.Pong, payload: 'unsolicited' });
    }
    // ... but the message itself is still cut.
    expect(await socket.closeFrame(5000)).toEqual({
      code: 1008,
      reason: 'message not completed in time',
    });
  });

  it('messages whose fragments all arrive within the timeout are handled, one after another, for longer than the timeout', async () => {
    const timeout = 1000;
    const socket = await start({ fragmentTimeout: timeout });
    const started = performance.now();
    for (let i = 0; i < 5; i++) {
      socket.send({ opcode: Opcode.Text, fin: false, payload: `${PREFIX}echo;0;part ` });
      // Time passing is what is tested: each message stays open for 30% of the timeout, so that a
      // stall of this process (shared by client and server) of up to 700 ms does not make it late.
      await delay(timeout * 0.3);
      socket.send({ opcode: Opcode.Continuation, fin: true, payload: `${i}` });
      const echo = await socket.next((f) => f.opcode === Opcode.Text);
      expect(echo.payload.toString('utf8')).toBe(`${PREFIX}echo;0;part ${i}`);
    }
    expect(performance.now() - started).toBeGreaterThan(timeout * 1.5);
    // Still open: a plain message is answered, and no close frame came.
    socket.send({ opcode: Opcode.Text, payload: `${PREFIX}echo;0;after` });
    const after = await socket.next((f) => f.opcode === Opcode.Text);
    expect(after.payload.toString('utf8')).toBe(`${PREFIX}echo;0;after`);
    expect(socket.reader.frames.some((f) => f.opcode === Opcode.Close)).toBe(false);
  });
});
