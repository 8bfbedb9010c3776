import type { INestApplication } from '@nestjs/common';
import WebSocket from 'ws';
import type { RequestHandler } from '../client/client-event-map';
import type { WsRoomsServerError } from '../client/client-errors';
import type { WsRoomsClientOptions } from '../client/client-options';
import type { Unsubscribe } from '../client/listener-registry';
import type { WebSocketConstructorLike } from '../client/websocket-like';
import { WsRoomsClient, type DisconnectInfo, type RequestOptions } from '../client/ws-rooms-client';
import type {
  EventArgs,
  EventName,
  RequestArgs,
  RequestReply,
  RequestsToClient,
  RequestsToServer,
  RequestValue,
  ToClientEvents,
  ToServerEvents,
  UntypedEventMap,
  WsEventMap,
} from '../interfaces/event-map.interface';
import { DEFAULT_ENDPOINT_NAME } from '../options/resolve-options';
import { endpointAddress } from './endpoint-address';
import { Mailbox } from './mailbox';
import { assertTimeout, within, WsRoomsTestError, WsRoomsTestErrorCode } from './testing-errors';

/** Options of {@link WsRoomsTestClient.connect}. */
export interface WsRoomsTestClientOptions {
  /** The endpoint's name (the `name` given to `forRoot`). @default 'default' */
  readonly endpoint?: string;
  /** Query parameters of the upgrade URL, e.g. a token that `authenticate` reads. @default none */
  readonly query?: Readonly<Record<string, string>>;
  /** Headers of the upgrade request, e.g. `authorization` or `origin`. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * How long each wait lasts, in ms: `connect`, `emit`, `next`, `nextServerError`, `nextDisconnect`,
   * `close`, and `request` unless its call gives a `timeout`. @default 2000
   */
  readonly timeout?: number;
  /** Ask for missed-message recovery (the server's `recovery` option). @default false */
  readonly recovery?: boolean;
  /** The most values kept per event, and of server errors (the oldest go first). @default 1000 */
  readonly maxQueued?: number;
  /**
   * More options of the underlying `WsRoomsClient`. Reconnection is off unless given here, so that
   * a test sees exactly one connection. @default { reconnect: false }
   */
  readonly client?: Omit<WsRoomsClientOptions, 'WebSocket' | 'autoConnect' | 'prefix' | 'recovery'>;
}

/** Per-call options of the waits of {@link WsRoomsTestClient}. */
export interface TestWaitOptions {
  /** How long to wait, in ms. @default the client's `timeout` option */
  readonly timeout?: number;
}

const DEFAULT_TIMEOUT = 2000;
const DEFAULT_MAX_QUEUED = 1000;
/** The close code of a connection that ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;

/**
 * A websocket client for tests of an app's gateways: it connects to an app built from
 * `Test.createTestingModule(...)` (it finds the endpoint's address itself), records every event it
 * receives from the first frame on, and makes each step awaitable and bounded.
 *
 * ```ts
 * const client = await WsRoomsTestClient.connect<ChatEvents>(app, { query: { token } });
 * await client.emit('join', 'lobby'); // the server has read it when this resolves
 * await client.emit('chat', 'hello');
 * expect(await client.next('chat')).toBe('From: ...: hello');
 * expect(await client.request('history', 'lobby')).toEqual(['hello']);
 * await client.close();
 * ```
 *
 * It is the real modern client (`WsRoomsClient`, over the `ws` package) underneath, so it sees what
 * a real client sees; `client` gives access to it. `Events` is the endpoint's event map.
 */
export class WsRoomsTestClient<Events extends WsEventMap = UntypedEventMap> {
  private readonly events = new Map<string, Mailbox<unknown>>();
  private readonly serverErrors: Mailbox<WsRoomsServerError>;
  private readonly disconnects: Mailbox<DisconnectInfo>;
  private readonly timeout: number;
  /** The most values kept per event. */
  private readonly capacity: number;
  /** Why waits fail once the connection ended for good. */
  private closedError: WsRoomsTestError | undefined;

  private constructor(
    /** The underlying modern client, for what this class does not wrap. */
    readonly client: WsRoomsClient<Events>,
    private readonly sockets: readonly WebSocket[],
    options: WsRoomsTestClientOptions,
  ) {
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.capacity = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.serverErrors = new Mailbox(this.capacity);
    this.disconnects = new Mailbox(this.capacity);
    client.onAny((event: string, value: unknown) => this.mailbox(event).push(value));
    client.onServerError((error) => this.serverErrors.push(error));
    client.onDisconnect((info) => {
      this.disconnects.push(info);
      if (info.willReconnect) return;
      const closed = new WsRoomsTestError(
        WsRoomsTestErrorCode.Closed,
        `the connection closed (code ${info.code}${info.reason ? `, "${info.reason}"` : ''})`,
      );
      for (const mailbox of this.events.values()) mailbox.end(closed);
      this.closedError = closed;
    });
  }

  /**
   * Connects to an endpoint of `app` and resolves once the connection is ready (with `recovery`,
   * once the server's session arrived). An app that does not listen yet is made to listen on
   * 127.0.0.1, port 0.
   * @rejects WsRoomsClientError the client's error when the server refuses the upgrade (e.g.
   *   `WS_ROOMS_CLIENT_HANDSHAKE_REFUSED` with `status` 401 or 403) or the connection fails.
   * @rejects WsRoomsTestError `WS_ROOMS_TEST_NO_ENDPOINT`, `WS_ROOMS_TEST_NOT_LISTENING`,
   *   `WS_ROOMS_TEST_TIMEOUT`, `WS_ROOMS_TEST_INVALID_ARGUMENT`.
   */
  static async connect<Events extends WsEventMap = UntypedEventMap>(
    app: INestApplication,
    options: WsRoomsTestClientOptions = {},
  ): Promise<WsRoomsTestClient<Events>> {
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    assertTimeout(timeout, 'timeout');
    const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new WsRoomsTestError(
        WsRoomsTestErrorCode.InvalidArgument,
        `Invalid maxQueued ${String(maxQueued)}: use an integer >= 1`,
      );
    }
    const { url, prefix } = await endpointAddress(app, options.endpoint ?? DEFAULT_ENDPOINT_NAME);
    const sockets: WebSocket[] = [];
    const client = new WsRoomsClient<Events>(withQuery(url, options.query), {
      reconnect: false,
      ...options.client,
      WebSocket: recordingWebSocket(options.headers ?? {}, sockets),
      prefix,
      recovery: options.recovery ?? false,
      autoConnect: false,
    });
    const testClient = new WsRoomsTestClient(client, sockets, options);
    const removers: Unsubscribe[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      removers.push(client.onConnect(resolve));
      removers.push(client.onError(reject));
      removers.push(
        client.onStateChange((state) => {
          if (state !== 'closed') return;
          // The client reports why right after this state change: that error, when there is one,
          // is the better rejection, so this one waits a microtask.
          const closed = new WsRoomsTestError(
            WsRoomsTestErrorCode.Closed,
            `${url}: closed before opening`,
          );
          queueMicrotask(() => reject(closed));
        }),
      );
    });
    client.connect();
    try {
      await within(ready, timeout, `connecting to ${url}`);
    } catch (error) {
      client.close();
      throw error;
    } finally {
      for (const remove of removers) remove();
    }
    return testClient;
  }

  /** The connection id the server told at connect time (`ws-rooms:identity`, or the session). */
  get id(): string | undefined {
    return this.client.id;
  }

  /**
   * Sends an event and resolves once the server has read it: a ping sent after it came back, and
   * the server reads a connection's frames in order. Handlers that run synchronously have run by
   * then; an asynchronous one (or one queued behind a pending `onWsConnection`) may still be going,
   * so await the event it sends instead. A handler that ends the connection also ends the wait
   * (see `nextDisconnect`). The ping counts against the server's `maxMessageRate`.
   * @rejects WsRoomsTestError `WS_ROOMS_TEST_TIMEOUT`, `WS_ROOMS_TEST_CLOSED`.
   */
  async emit<K extends EventName<ToServerEvents<Events>>>(
    event: K,
    ...args: EventArgs<ToServerEvents<Events>[K]>
  ): Promise<void> {
    this.client.emit(event, ...args);
    await this.roundTrip(`emit("${event}")`);
  }

  /**
   * Sends a request and resolves with the handler's reply (the `request` of the modern client,
   * with this client's `timeout` as the default).
   * @rejects WsRoomsServerError the server's error reply; WsRoomsClientError a timeout or a close.
   */
  request<K extends EventName<RequestsToServer<Events>>>(
    event: K,
    ...args: RequestArgs<RequestsToServer<Events>, K, RequestOptions>
  ): Promise<RequestReply<RequestsToServer<Events>, K>> {
    const [value, options] = args as [unknown, RequestOptions | undefined];
    const call = [value, { timeout: this.timeout, ...options }] as unknown as RequestArgs<
      RequestsToServer<Events>,
      K,
      RequestOptions
    >;
    return this.client.request(event, ...call);
  }

  /** Answers the server's requests for `event` (the modern client's `onRequest`). */
  onRequest<K extends EventName<RequestsToClient<Events>>>(
    event: K,
    handler: RequestHandler<
      RequestValue<RequestsToClient<Events>, K>,
      RequestReply<RequestsToClient<Events>, K>
    >,
  ): Unsubscribe {
    return this.client.onRequest(event, handler);
  }

  /**
   * The oldest value of `event` not read yet, or the next one to arrive: values that came before the
   * call are not lost, and each is returned once.
   * @rejects WsRoomsTestError `WS_ROOMS_TEST_TIMEOUT` when none arrives in time;
   *   `WS_ROOMS_TEST_CLOSED` when the connection closed and none is left.
   */
  next<K extends EventName<ToClientEvents<Events>>>(
    event: K,
    options: TestWaitOptions = {},
  ): Promise<ToClientEvents<Events>[K]> {
    return this.waitTimeout(options).then(
      (timeout) =>
        this.mailbox(event).next(timeout, `next("${event}")`) as Promise<ToClientEvents<Events>[K]>,
    );
  }

  /** Every value of `event` received so far, read by `next` or not, in order. */
  received<K extends EventName<ToClientEvents<Events>>>(
    event: K,
  ): readonly ToClientEvents<Events>[K][] {
    return (this.events.get(event)?.received ?? []) as readonly ToClientEvents<Events>[K][];
  }

  /**
   * The oldest error the server reported about this client's messages (`ws-rooms:error`: a bad
   * payload, a throwing handler, a guard, the rate limit) not read yet, or the next one.
   * @rejects WsRoomsTestError `WS_ROOMS_TEST_TIMEOUT`.
   */
  nextServerError(options: TestWaitOptions = {}): Promise<WsRoomsServerError> {
    return this.waitTimeout(options).then((timeout) =>
      this.serverErrors.next(timeout, 'nextServerError()'),
    );
  }

  /**
   * How the connection ended (code, reason), e.g. after the gateway called `disconnect()`.
   * @rejects WsRoomsTestError `WS_ROOMS_TEST_TIMEOUT`.
   */
  nextDisconnect(options: TestWaitOptions = {}): Promise<DisconnectInfo> {
    return this.waitTimeout(options).then((timeout) =>
      this.disconnects.next(timeout, 'nextDisconnect()'),
    );
  }

  /**
   * Closes the connection and resolves once the closing handshake completed (the server saw the
   * close frame); a socket that does not complete it in time is terminated. Idempotent.
   */
  async close(code = 1000, reason = ''): Promise<void> {
    const socket = this.sockets[this.sockets.length - 1];
    this.client.close(code, reason);
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    try {
      await within(closed, this.timeout, 'close()');
    } catch {
      socket.terminate();
    }
  }

  private mailbox(event: string): Mailbox<unknown> {
    let mailbox = this.events.get(event);
    if (mailbox === undefined) {
      mailbox = new Mailbox(this.capacity);
      if (this.closedError !== undefined) mailbox.end(this.closedError);
      this.events.set(event, mailbox);
    }
    return mailbox;
  }

  /** The timeout of a wait; a rejection (never a throw) for an invalid one. */
  private waitTimeout(options: TestWaitOptions): Promise<number> {
    const timeout = options.timeout ?? this.timeout;
    try {
      assertTimeout(timeout, 'timeout');
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(timeout);
  }

  /**
   * A ping and its pong on the current socket: the server read everything sent before. A server
   * that closes with a close frame instead (a handler of the message ended the connection) read it
   * too; a connection that drops (1006) may not have.
   */
  private roundTrip(what: string): Promise<void> {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(
        new WsRoomsTestError(WsRoomsTestErrorCode.Closed, `${what}: the connection is not open`),
      );
    }
    const answered = new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        socket.off('pong', onPong);
        socket.off('close', onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onPong = () => done();
      const onClose = (code: number) =>
        done(
          code === ABNORMAL_CLOSURE
            ? new WsRoomsTestError(
                WsRoomsTestErrorCode.Closed,
                `${what}: the connection dropped before the server answered`,
              )
            : undefined,
        );
      socket.on('pong', onPong);
      socket.on('close', onClose);
    });
    socket.ping();
    return within(answered, this.timeout, what);
  }
}

/** The `ws` class with the test's headers, keeping every socket it creates. */
function recordingWebSocket(
  headers: Readonly<Record<string, string>>,
  sockets: WebSocket[],
): WebSocketConstructorLike {
  return class TestWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { ...headers } });
      sockets.push(this);
    }
  };
}

function withQuery(url: string, query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) return url;
  const search = new URLSearchParams(query).toString();
  return search === '' ? url : `${url}?${search}`;
}
