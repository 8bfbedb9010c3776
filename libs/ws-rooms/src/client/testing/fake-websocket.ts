import {
  ReadyState,
  type CloseEventLike,
  type MessageEventLike,
  type SocketData,
  type WebSocketConstructorLike,
  type WebSocketLike,
} from '../websocket-like';

type Listener<E> = ((event: E) => void) | null;

/**
 * A scripted WebSocket for unit tests: the test plays the server (`acceptOpen`, `receive`,
 * `dropConnection`, ...) and reads what the client sent from `sent`. Everything is synchronous, so
 * tests need neither sleeps nor real sockets.
 */
export class FakeWebSocket implements WebSocketLike {
  readyState: number = ReadyState.Connecting;
  binaryType = 'blob';
  readonly sent: SocketData[] = [];
  readonly closeCalls: { code?: number; reason?: string }[] = [];
  // Declared with the slot type so that the fake implements the interface exactly; read back
  // through the typed views below.
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  private readonly unexpectedResponseListeners: ((
    request: unknown,
    response: { statusCode?: number },
  ) => void)[] = [];

  constructor(
    readonly url: string,
    readonly protocols: string | string[] | undefined,
    private readonly nodeLike: boolean,
    /** The socket's number among those of its kit, from 1. */
    readonly serial = 1,
  ) {}

  /** Present only on Node-like fakes, as only the `ws` package has it. */
  get on():
    | ((
        event: 'unexpected-response',
        listener: (request: unknown, response: { statusCode?: number }) => void,
      ) => this)
    | undefined {
    if (!this.nodeLike) return undefined;
    return (_event, listener) => {
      this.unexpectedResponseListeners.push(listener);
      return this;
    };
  }

  /** Whether the client still listens to this socket. */
  get attached(): boolean {
    return this.onopen !== null || this.onmessage !== null || this.onclose !== null;
  }

  send(data: SocketData): void {
    if (this.readyState !== ReadyState.Open) throw new Error('send on a socket that is not open');
    this.sent.push(data);
  }

  /** Like a browser: closing a connecting socket aborts it (1006); closing an open one is clean. */
  close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason });
    if (this.readyState === ReadyState.Closed) return;
    const wasOpen = this.readyState === ReadyState.Open;
    this.finish(wasOpen ? (code ?? 1005) : 1006, wasOpen ? (reason ?? '') : '', wasOpen);
  }

  /**
   * The server accepts the handshake. Like a ws-rooms server (0.2 and later), it then tells a client
   * that asked for its id (`ws-rooms-identity=1` in the URL) that id, `fake-<n>` for the n-th
   * socket; `identity` overrides it, and `null` plays a server that never tells it.
   */
  acceptOpen(identity?: string | null): void {
    this.readyState = ReadyState.Open;
    this.handler<object>('onopen')?.({});
    if (identity === null || !/[?&]ws-rooms-identity=1(&|#|$)/.test(this.url)) return;
    if (this.readyState !== ReadyState.Open) return;
    const id = identity ?? `fake-${this.serial}`;
    this.receive(`iris-websocket-message:ws-rooms:identity;4;${JSON.stringify({ id })}`);
  }

  /** A message from the server (a string for a text frame, an ArrayBuffer for a binary one). */
  receive(data: unknown): void {
    this.handler<MessageEventLike>('onmessage')?.({ data });
  }

  /** The server closes with a close frame. */
  serverClose(code: number, reason = ''): void {
    this.finish(code, reason, true);
  }

  /** The connection drops (or the handshake fails, as a browser reports it): error, then 1006. */
  dropConnection(): void {
    this.handler<object>('onerror')?.({});
    this.finish(1006, '', false);
  }

  /** The server answers the handshake with an HTTP status (seen only by Node-like fakes). */
  refuseHandshake(status: number): void {
    const response = { statusCode: status };
    if (this.unexpectedResponseListeners.length === 0) {
      this.dropConnection();
      return;
    }
    for (const listener of this.unexpectedResponseListeners) listener({}, response);
  }

  private finish(code: number, reason: string, wasClean: boolean): void {
    if (this.readyState === ReadyState.Closed) return;
    this.readyState = ReadyState.Closed;
    this.handler<CloseEventLike>('onclose')?.({ code, reason, wasClean });
  }

  private handler<E>(name: 'onopen' | 'onmessage' | 'onclose' | 'onerror'): Listener<E> {
    return this[name] as unknown as Listener<E>;
  }
}

/** A fake WebSocket class and the sockets it created, in order. */
export interface FakeWebSocketKit {
  readonly WebSocket: WebSocketConstructorLike;
  readonly sockets: FakeWebSocket[];
  /** The most recent socket. */
  readonly last: FakeWebSocket;
}

/**
 * A fresh fake class per test, so sockets never leak between tests.
 * @param nodeLike give the sockets the `ws` package's `on('unexpected-response')` hook.
 */
export function createFakeWebSocket(options: { nodeLike?: boolean } = {}): FakeWebSocketKit {
  const sockets: FakeWebSocket[] = [];
  const nodeLike = options.nodeLike ?? false;
  class ScriptedWebSocket extends FakeWebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, nodeLike, sockets.length + 1);
      sockets.push(this);
    }
  }
  return {
    WebSocket: ScriptedWebSocket,
    sockets,
    get last(): FakeWebSocket {
      const socket = sockets[sockets.length - 1];
      if (socket === undefined) throw new Error('no socket was created');
      return socket;
    },
  };
}
