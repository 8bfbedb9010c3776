/**
 * Which ends of a connection keep its recovery session, over real sockets: a client that closes on
 * purpose (a close frame with 1000, or with no code at all, 1005) ends it; a cut (1006) keeps it
 * for the window.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import WebSocket from 'ws';
import {
  type DisconnectInfo,
  type OnWsDisconnect,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { buildFrame, FrameSocket, Opcode } from '../support/frames';
import { ProtocolClient } from '../support/protocol-client';
import { Recorder } from '../support/recorder';
import { type RunningApp, startApp } from '../support/test-app';

/** Records every end, with the code the server saw. */
@WsRoomsGateway()
class EndsGateway implements OnWsDisconnect {
  readonly ends = new Recorder<{ id: string; code: number }>();

  onWsDisconnect(connection: WsConnection, info: DisconnectInfo): void {
    this.ends.push({ id: connection.id, code: info.code });
  }
}

@Module({})
class EndsModule {
  static forRoot(): DynamicModule {
    return {
      module: EndsModule,
      imports: [WsRoomsModule.forRoot({ endpoint: '/ws', recovery: { windowMs: 60_000 } })],
      providers: [EndsGateway],
    };
  }
}

interface SessionEvent {
  readonly id: string;
  readonly token: string;
  readonly offset?: number;
  readonly recovered: boolean;
  readonly reason?: string;
}

describe('recovery: which closes end the session', () => {
  let running: RunningApp;
  let gateway: EndsGateway;
  const clients: ProtocolClient[] = [];
  const sockets: FrameSocket[] = [];

  beforeEach(async () => {
    running = await startApp({ imports: [EndsModule.forRoot()] });
    gateway = running.app.get(EndsGateway);
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(
      clients.splice(0).map(async (client) => {
        if (client.ws.readyState === WebSocket.CLOSED) return;
        client.ws.terminate();
        await client.waitClose();
      }),
    );
    await running.close();
  });

  async function connect(query = 'ws-rooms-recovery=1'): Promise<{
    client: ProtocolClient;
    session: SessionEvent;
  }> {
    const client = await ProtocolClient.connect(running.wsUrl(`/ws?${query}`));
    clients.push(client);
    const session = JSON.parse(
      (await client.nextEvent('ws-rooms:session')).payload!,
    ) as SessionEvent;
    return { client, session };
  }

  /** Ends a fresh session's connection with `end`, then tries to resume it. */
  async function endThenResume(
    end: (client: ProtocolClient) => void,
  ): Promise<{ code: number; resumed: SessionEvent }> {
    const { client, session } = await connect();
    end(client);
    const ended = await gateway.ends.waitFor((e) => e.id === session.id, 3000, 'the end');
    const { session: resumed } = await connect(
      `ws-rooms-recovery=1&ws-rooms-session=${session.token}&ws-rooms-offset=${session.offset ?? 0}`,
    );
    return { code: ended.code, resumed };
  }

  it('a close frame without a code (1005) ends the session: the token is unknown afterwards', async () => {
    const { code, resumed } = await endThenResume((client) => client.ws.close());
    expect(code).toBe(1005);
    expect(resumed).toMatchObject({ recovered: false, reason: 'unknown-session' });
  });

  it('the same close frame written by hand (opcode 8, empty payload) ends it too', async () => {
    const socket = await FrameSocket.open(running.port, '/ws?ws-rooms-recovery=1');
    sockets.push(socket);
    const sessionFrame = await socket.next((f) => f.opcode === Opcode.Text);
    const text = sessionFrame.payload.toString('utf8');
    const session = JSON.parse(text.slice(text.indexOf(';4;') + 3)) as SessionEvent;
    socket.send(buildFrame({ opcode: Opcode.Close }));
    expect((await gateway.ends.waitFor((e) => e.id === session.id)).code).toBe(1005);
    const { session: resumed } = await connect(
      `ws-rooms-recovery=1&ws-rooms-session=${session.token}&ws-rooms-offset=${session.offset ?? 0}`,
    );
    expect(resumed).toMatchObject({ recovered: false, reason: 'unknown-session' });
  });

  it('a close 1000 ends it as well', async () => {
    const { code, resumed } = await endThenResume((client) => client.ws.close(1000));
    expect(code).toBe(1000);
    expect(resumed).toMatchObject({ recovered: false, reason: 'unknown-session' });
  });

  it('a cut without a close frame (1006) keeps it: the same id comes back', async () => {
    const before = gateway.ends.items.length;
    const { code, resumed } = await endThenResume((client) => {
      (client.ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
    });
    expect(code).toBe(1006);
    expect(resumed.recovered).toBe(true);
    expect(resumed.id).toBe(gateway.ends.items[before].id);
  });
});
