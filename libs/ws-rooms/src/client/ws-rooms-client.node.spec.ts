/**
 * The modern client in Node against a real `ws` server on 127.0.0.1, port 0. The server speaks the
 * protocol by hand (no ws-rooms server code), so this tests the client alone, over real sockets.
 * Every wait is for the event that proves the behaviour, bounded by a timeout; nothing sleeps.
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import {
  WsRoomsClientErrorCode,
  type WsRoomsClientError,
  WsRoomsServerError,
} from './client-errors';
import { WsRoomsClient, type ClientState } from './ws-rooms-client';

const P = 'iris-websocket-message:';
const WAIT_MS = 5000;

/** Resolves with the first value `subscribe` delivers, or rejects after `ms`. */
function next<T>(
  subscribe: (deliver: (value: T) => void) => () => void,
  label: string,
  ms = WAIT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${ms} ms waiting for ${label}`));
    }, ms);
    const unsubscribe = subscribe((value) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

const stateReached = (client: WsRoomsClient, state: ClientState): Promise<ClientState> =>
  client.state === state
    ? Promise.resolve(state)
    : next(
        (deliver) => client.onStateChange((current) => current === state && deliver(current)),
        `state ${state}`,
      );

interface EchoServer {
  readonly url: string;
  readonly server: WebSocketServer;
  readonly received: { data: string | Buffer; isBinary: boolean }[];
  close(): Promise<void>;
}

/**
 * Echoes every message back in the same kind of frame, except the `as-binary` event, which comes
 * back in a binary frame (what the ws-rooms server does under `binaryMessages`).
 */
async function startEchoServer(
  options: ConstructorParameters<typeof WebSocketServer>[0] = {},
): Promise<EchoServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await next<void>((deliver) => {
    server.once('listening', () => deliver());
    return () => undefined;
  }, 'the server to listen');
  const received: EchoServer['received'] = [];
  let connections = 0;
  server.on('connection', (socket, request) => {
    // As a ws-rooms server does: the id first, to a client that asks for it.
    connections++;
    if (request.url?.includes('ws-rooms-identity=1')) {
      socket.send(`${P}ws-rooms:identity;4;{"id":"echo-${connections}"}`);
    }
    socket.on('message', (raw: RawData, isBinary: boolean) => {
      const data = isBinary ? (raw as Buffer) : (raw as Buffer).toString('utf8');
      received.push({ data, isBinary });
      if (typeof data === 'string' && data.startsWith(`${P}as-binary;`)) {
        socket.send(Buffer.from(data, 'utf8'), { binary: true });
        return;
      }
      socket.send(data, { binary: isBinary });
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/chat`,
    server,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

describe('WsRoomsClient over a real ws server (Node)', () => {
  let echo: EchoServer;
  let client: WsRoomsClient | undefined;

  beforeEach(async () => {
    echo = await startEchoServer();
  });

  afterEach(async () => {
    client?.close();
    client = undefined;
    await echo.close();
  });

  const connectClient = async (): Promise<WsRoomsClient> => {
    client = new WsRoomsClient(echo.url, {
      WebSocket,
      reconnect: { initialDelay: 10, maxDelay: 50 },
    });
    await stateReached(client, 'open');
    return client;
  };

  it('emits a JSON event and receives the echo decoded', async () => {
    const open = await connectClient();
    const echoed = next<unknown>((deliver) => open.on('room', deliver), 'the echoed event');
    open.emit('room', { name: 'lobby', members: [1, 2] });
    expect(await echoed).toEqual({ name: 'lobby', members: [1, 2] });
    expect(echo.received[0]).toEqual({
      data: `${P}room;4;{"name":"lobby","members":[1,2]}`,
      isBinary: false,
    });
  });

  it('sends bytes as a binary frame and decodes binary frames', async () => {
    const open = await connectClient();
    const bytes = next<unknown>((deliver) => open.on('bin', deliver), 'the echoed bytes');
    open.emit('bin', Uint8Array.from([0, 1, 2, 255]));
    expect(await bytes).toEqual(Uint8Array.from([0, 1, 2, 255]));
    expect(echo.received[0].isBinary).toBe(true);

    const fromBinaryFrame = next<unknown>(
      (deliver) => open.on('as-binary', deliver),
      'a binary text event',
    );
    open.emit('as-binary', 'sent back in a binary frame');
    expect(await fromBinaryFrame).toBe('sent back in a binary frame');
  });

  it('receives native messages and server errors', async () => {
    const open = await connectClient();
    const native = next<unknown>((deliver) => open.onMessage(deliver), 'a native message');
    open.emitMessage('just text');
    expect(await native).toBe('just text');

    const serverError = next<WsRoomsServerError>(
      (deliver) => open.onServerError(deliver),
      'a server error',
    );
    // The echo server sends back what it gets, so this plays the server's error report.
    open.emitMessage(
      `${P}ws-rooms:error;4;{"code":"WS_ROOMS_HANDLER_ERROR","message":"handler failed","event":"x"}`,
    );
    const error = await serverError;
    expect(error).toBeInstanceOf(WsRoomsServerError);
    expect(error).toMatchObject({ code: 'WS_ROOMS_HANDLER_ERROR', event: 'x' });
  });

  it('reconnects by itself after the server drops the connection, and flushes the buffer', async () => {
    const open = await connectClient();
    const connections = next<WebSocket>((deliver) => {
      echo.server.on('connection', deliver);
      return () => echo.server.off('connection', deliver);
    }, 'a second connection');
    const disconnected = next((deliver) => open.onDisconnect(deliver), 'the disconnect');
    for (const socket of echo.server.clients) socket.terminate();
    expect(await disconnected).toMatchObject({ code: 1006, willReconnect: true });
    expect(open.state).toBe('reconnecting');
    open.emit('queued', 'sent while offline');
    const echoed = next<unknown>(
      (deliver) => open.on('queued', deliver),
      'the flushed message echoed',
    );
    await connections;
    await stateReached(open, 'open');
    expect(await echoed).toBe('sent while offline');
  });

  it('stops at once when the server refuses the handshake with 403', async () => {
    const refusing = await startEchoServer({
      verifyClient: (_info, done) => done(false, 403, 'Forbidden'),
    });
    try {
      const errors: WsRoomsClientError[] = [];
      client = new WsRoomsClient(refusing.url, { WebSocket, autoConnect: false });
      client.onError((error) => errors.push(error));
      const closed = next<ClientState>(
        (deliver) =>
          (client as WsRoomsClient).onStateChange((state) => state === 'closed' && deliver(state)),
        'the client to give up',
      );
      client.connect();
      await closed;
      expect(errors).toHaveLength(1);
      expect(errors[0].code).toBe(WsRoomsClientErrorCode.HandshakeRefused);
      expect(errors[0].status).toBe(403);
    } finally {
      await refusing.close();
    }
  });

  it('closes deliberately without reconnecting', async () => {
    const open = await connectClient();
    const serverSawClose = next<number>((deliver) => {
      const [socket] = [...echo.server.clients];
      socket.once('close', deliver);
      return () => undefined;
    }, 'the close frame at the server');
    open.close(4001, 'done');
    expect(open.state).toBe('closed');
    expect(await serverSawClose).toBe(4001);
    expect(echo.server.clients.size).toBe(0);
  });
});
