import type { IncomingHttpHeaders } from 'node:http';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import type {
  EventName,
  RequestArgs,
  RequestReply,
  RequestsToClient,
  RequestValue,
  ToClientEvents,
  ToServerEvents,
  UntypedEventMap,
  WsEventMap,
} from '../interfaces/event-map.interface';
import type { Target } from '../interfaces/targets';
import type {
  DisconnectInfo,
  EmitOptions,
  InboundValue,
  RequestOptions,
  ServerEmitArgs,
  UpgradeRequestInfo,
  WsConnection,
} from '../interfaces/ws-connection.interface';
import { FakeBroadcastOperator, type FakeBroadcast } from './fake-broadcast-operator';

/** What a fake connection is made of; every field has a default. */
export interface FakeWsConnectionOptions<TData extends object, TPrincipal> {
  /** @default 'fake-connection-<n>' (unique per process) */
  readonly id?: string;
  /** The endpoint's name. @default 'default' */
  readonly endpoint?: string;
  /** What `authenticate` would have returned. @default undefined */
  readonly principal?: TPrincipal;
  /** The initial per-connection store. @default {} */
  readonly data?: TData;
  /** The upgrade request's URL. @default '/' */
  readonly url?: string;
  /** The upgrade request's headers. @default {} */
  readonly headers?: IncomingHttpHeaders;
  /** @default '127.0.0.1' */
  readonly remoteAddress?: string;
  /** Whether the connection resumed a session (the `recovery` option). @default false */
  readonly recovered?: boolean;
}

/** One `emit` of a fake connection. */
export interface FakeEmit {
  readonly event: string;
  readonly value: unknown;
  readonly options?: EmitOptions;
}

/** One `request` of a fake connection. */
export interface FakeRequest {
  readonly event: string;
  readonly value: unknown;
  readonly options?: RequestOptions;
}

const CLOSE_CODE_MIN_APPLICATION = 3000;
const CLOSE_CODE_MAX_APPLICATION = 4999;
let created = 0;

/**
 * A `WsConnection` for unit tests of gateway handlers, without a server: it records what a handler
 * does with it (`emit`, `emitMessage`, `to(...).emit`, `request`, `join`, `leave`, `disconnect`) and
 * keeps rooms and state as the real connection does (own-id room first, idempotent joins, one
 * disconnect). Type it like the handler's connection:
 *
 * ```ts
 * const c = new FakeWsConnection<ChatData, User, ChatEvents>({ principal: { name: 'alice' } });
 * await gateway.join(c, 'lobby');
 * gateway.chat(c, 'hello');
 * expect(c.rooms()).toEqual([c.id, 'lobby']);
 * expect(c.broadcasts).toEqual([expect.objectContaining({ targets: ['lobby'], event: 'chat' })]);
 * ```
 *
 * What the real connection sends after it closed is dropped, so nothing is recorded then either.
 * Requests are answered by the handlers given to {@link FakeWsConnection.answer}; without one they
 * reject with `WS_ROOMS_NO_HANDLER`, as a client without a handler answers.
 */
export class FakeWsConnection<
  TData extends object = Record<string, unknown>,
  TPrincipal = unknown,
  TEvents extends WsEventMap = UntypedEventMap,
> implements WsConnection<TData, TPrincipal, TEvents> {
  readonly id: string;
  readonly endpoint: string;
  readonly upgradeRequest: UpgradeRequestInfo;
  readonly remoteAddress: string;
  readonly principal: TPrincipal;
  readonly data: TData;
  readonly recovered: boolean;
  /** Every `emit` to this connection, in order. */
  readonly emitted: FakeEmit[] = [];
  /** Every `emitMessage` to this connection, in order. */
  readonly messages: { readonly data: string | Uint8Array; readonly options?: EmitOptions }[] = [];
  /** Every broadcast started from this connection (`to(...)`), in order. */
  readonly broadcasts: FakeBroadcast[] = [];
  /** Every `request` to this connection's client, in order. */
  readonly requests: FakeRequest[] = [];
  /** The room of every `join` call, in order (repeated joins included). */
  readonly joined: string[] = [];
  /** The room of every `leave` call, in order. */
  readonly left: string[] = [];
  /** How the connection ended, once it did. */
  disconnected: DisconnectInfo | undefined = undefined;

  private readonly roomSet = new Set<string>();
  private readonly answers = new Map<string, (value: unknown) => unknown>();
  private readonly listeners = new Map<string, ((value: never) => void)[]>();
  private readonly nativeListeners: ((data: Buffer) => void)[] = [];
  private readonly disconnectListeners: ((info: DisconnectInfo) => void)[] = [];

  constructor(options: FakeWsConnectionOptions<TData, TPrincipal> = {}) {
    this.id = options.id ?? `fake-connection-${++created}`;
    this.endpoint = options.endpoint ?? 'default';
    this.upgradeRequest = {
      method: 'GET',
      url: options.url ?? '/',
      httpVersion: '1.1',
      headers: options.headers ?? {},
    };
    this.remoteAddress = options.remoteAddress ?? '127.0.0.1';
    this.principal = options.principal as TPrincipal;
    this.data = options.data ?? ({} as TData);
    this.recovered = options.recovered ?? false;
  }

  get headers(): IncomingHttpHeaders {
    return this.upgradeRequest.headers;
  }

  get isOpen(): boolean {
    return this.disconnected === undefined;
  }

  emit<K extends EventName<ToClientEvents<TEvents>>>(
    event: K,
    ...args: ServerEmitArgs<ToClientEvents<TEvents>[K]>
  ): void {
    if (!this.isOpen) return;
    const [value, options] = args as unknown as [unknown, EmitOptions | undefined];
    this.emitted.push(options === undefined ? { event, value } : { event, value, options });
  }

  emitMessage(data: string | Uint8Array, options?: EmitOptions): void {
    if (!this.isOpen) return;
    this.messages.push(options === undefined ? { data } : { data, options });
  }

  request<K extends EventName<RequestsToClient<TEvents>>>(
    event: K,
    ...args: RequestArgs<RequestsToClient<TEvents>, K, RequestOptions>
  ): Promise<RequestReply<RequestsToClient<TEvents>, K>> {
    const [value, options] = args as [unknown, RequestOptions | undefined];
    if (!this.isOpen) {
      return Promise.reject(
        new WsRoomsError(
          WsRoomsErrorCode.RequestAborted,
          `request "${event}": the connection is closed`,
        ),
      );
    }
    this.requests.push(options === undefined ? { event, value } : { event, value, options });
    const answer = this.answers.get(event);
    if (answer === undefined) {
      return Promise.reject(
        new WsRoomsError(WsRoomsErrorCode.NoHandler, `no handler for request "${event}"`),
      );
    }
    try {
      return Promise.resolve(answer(value)) as Promise<RequestReply<RequestsToClient<TEvents>, K>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  to(target: Target): BroadcastOperator<TEvents> {
    return new FakeBroadcastOperator<TEvents>((broadcast) => {
      if (this.isOpen) this.broadcasts.push(broadcast);
    }).to(target);
  }

  join(room: string): Promise<void> {
    this.joined.push(room);
    if (this.isOpen && room !== this.id) this.roomSet.add(room);
    return Promise.resolve();
  }

  leave(room: string): Promise<void> {
    this.left.push(room);
    this.roomSet.delete(room);
    return Promise.resolve();
  }

  rooms(): string[] {
    return this.isOpen ? [this.id, ...this.roomSet] : [];
  }

  isIn(room: string): boolean {
    return this.isOpen && (room === this.id || this.roomSet.has(room));
  }

  /**
   * Ends the connection as the server's `disconnect` does: once, leaving every room, then the
   * `onDisconnect` listeners with `initiator: 'server'`.
   * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION` for a code other than 1000 or 3000–4999, as the
   *   real connection does.
   */
  disconnect(code = 1000, reason = ''): void {
    const application = code >= CLOSE_CODE_MIN_APPLICATION && code <= CLOSE_CODE_MAX_APPLICATION;
    if (code !== 1000 && !(Number.isInteger(code) && application)) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidOption,
        `disconnect(): close code must be 1000 or within 3000-4999, got ${code}`,
      );
    }
    this.end({ code, reason, initiator: 'server' });
  }

  on<K extends EventName<ToServerEvents<TEvents>>>(
    event: K,
    listener: (value: InboundValue<ToServerEvents<TEvents>[K]>) => void,
  ): () => void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener as (value: never) => void);
    this.listeners.set(event, list);
    return () => remove(list, listener as (value: never) => void);
  }

  onMessage(listener: (data: Buffer) => void): () => void {
    this.nativeListeners.push(listener);
    return () => remove(this.nativeListeners, listener);
  }

  onDisconnect(listener: (info: DisconnectInfo) => void): void {
    this.disconnectListeners.push(listener);
  }

  // ---- the test's side ----

  /**
   * Answers the requests for `event` (what the client's `onRequest` handler would reply): the
   * handler's value or promise is the reply, a throw or rejection the failure. Replaces an earlier
   * answer.
   */
  answer<K extends EventName<RequestsToClient<TEvents>>>(
    event: K,
    handler: (
      value: RequestValue<RequestsToClient<TEvents>, K>,
    ) =>
      | RequestReply<RequestsToClient<TEvents>, K>
      | PromiseLike<RequestReply<RequestsToClient<TEvents>, K>>,
  ): void {
    this.answers.set(event, handler as (value: unknown) => unknown);
  }

  /** The values of every `emit` of `event` to this connection, in order. */
  emittedValues<K extends EventName<ToClientEvents<TEvents>>>(
    event: K,
  ): ToClientEvents<TEvents>[K][] {
    return this.emitted
      .filter((entry) => entry.event === event)
      .map((entry) => entry.value as ToClientEvents<TEvents>[K]);
  }

  /** Delivers an event from the client to the listeners registered with `on` (not to gateways). */
  receive<K extends EventName<ToServerEvents<TEvents>>>(
    event: K,
    value: InboundValue<ToServerEvents<TEvents>[K]>,
  ): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      (listener as (value: unknown) => void)(value);
    }
  }

  /** Delivers a native message to the listeners registered with `onMessage`. */
  receiveMessage(data: Buffer): void {
    for (const listener of [...this.nativeListeners]) listener(data);
  }

  /** Ends the connection as a client that closed: `onDisconnect` listeners get `initiator: 'client'`. */
  closeFromClient(code = 1000, reason = ''): void {
    this.end({ code, reason, initiator: 'client' });
  }

  private end(info: DisconnectInfo): void {
    if (this.disconnected !== undefined) return;
    this.disconnected = info;
    this.roomSet.clear();
    for (const listener of [...this.disconnectListeners]) listener(info);
  }
}

function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at !== -1) list.splice(at, 1);
}
