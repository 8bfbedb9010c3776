import { ClientCodec } from './client-codec';
import { resolveWebSocket } from './client-options';
import { ListenerRegistry } from './listener-registry';
import { ReservedEventRouter } from './reserved-event-router';
import { SendBuffer } from './send-buffer';
import { resolveSocketUrl } from './socket-url';
import {
  ReadyState,
  type MessageEventLike,
  type SocketData,
  type WebSocketConstructorLike,
  type WebSocketLike,
} from './websocket-like';

/** Options of the compat {@link Ws} class beyond the original constructor arguments. */
export interface CompatWsOptions {
  /** The WebSocket implementation. @default globalThis.WebSocket */
  readonly WebSocket?: WebSocketConstructorLike;
  /** WebSocket subprotocols to offer. @default none */
  readonly protocols?: string | string[];
  /**
   * Receives the exception of a page handler that threw. The other handlers run regardless.
   * @default rethrow asynchronously, so it shows in the console as an uncaught exception
   */
  readonly onHandlerError?: (error: unknown) => void;
}

/**
 * How many `Emit` calls made before the socket opened are kept and sent on open. The original
 * threw there (the socket was still `CONNECTING`); keeping a few makes the common page that emits
 * right after `new Ws(...)` work, without letting a page grow memory while the server is away.
 */
const PENDING_LIMIT = 100;

/**
 * The original Iris browser client's API (docs/protocol.md, "Iris compatibility rules"), so that pages written for Iris
 * work against ws-rooms unchanged: `new Ws(url)`, `OnConnect`, `OnDisconnect`, `On`, `OnMessage`,
 * `Emit`, `EmitMessage`, `Disconnect`.
 *
 * It behaves as the original does towards the page: `On` handlers receive the **raw payload text**
 * (a page that did `JSON.parse(message)` keeps working), and there is no reconnection. It encodes
 * correctly, though: `true` travels as a boolean, `3.5` as JSON, a numeric string as a string.
 * For decoded values, typed events and reconnection, use `WsRoomsClient`.
 */
export class Ws {
  private readonly codec: ClientCodec;
  private readonly conn: WebSocketLike;
  private readonly onHandlerError: (error: unknown) => void;
  private readonly pending = new SendBuffer<SocketData>(PENDING_LIMIT, 'drop-oldest');
  private readonly connectListeners = new ListenerRegistry<[]>();
  private readonly disconnectListeners = new ListenerRegistry<[]>();
  private readonly nativeListeners = new ListenerRegistry<[string]>();
  private readonly eventListeners = new Map<string, ListenerRegistry<[string]>>();
  private isReady = false;

  /**
   * Connects at once. `url` may lack the scheme (`localhost:8080/echo` gets `ws://`, as in the
   * original) or be a path on the page's own host.
   * @param prefix the event-message prefix (must match the server's). The original's second
   *   parameter was the subprotocol list: an array there is still taken as subprotocols.
   *   @default 'iris-websocket-message:'
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_NO_WEBSOCKET` without a WebSocket implementation.
   */
  constructor(url: string, prefix?: string | string[], options: CompatWsOptions = {}) {
    const protocols = Array.isArray(prefix) ? prefix : options.protocols;
    this.codec = new ClientCodec(typeof prefix === 'string' ? prefix : undefined);
    this.onHandlerError = options.onHandlerError ?? rethrowAsync;
    const Implementation = resolveWebSocket(options.WebSocket);
    const address = resolveSocketUrl(url);
    this.conn =
      protocols === undefined
        ? new Implementation(address)
        : new Implementation(address, protocols);
    // First, so that an error event can never go unhandled (the `ws` package would throw it).
    this.conn.onerror = () => undefined;
    this.conn.binaryType = 'arraybuffer';
    this.conn.onopen = () => this.handleOpen();
    this.conn.onclose = () => this.handleClose();
    this.conn.onmessage = (event: MessageEventLike) => this.handleMessage(event.data);
  }

  /** Registers a connect handler; called at once as well when the socket is already open. */
  OnConnect(fn: () => void): void {
    if (this.isReady) this.call(fn);
    this.connectListeners.add(fn);
  }

  /** Registers a handler for the socket closing (for any reason). */
  OnDisconnect(fn: () => void): void {
    this.disconnectListeners.add(fn);
  }

  /**
   * Registers a handler of an event; it receives the payload text as sent (parse JSON yourself, as
   * with the original). Several handlers per event run in registration order.
   */
  On(event: string, fn: (message: string) => void): void {
    let listeners = this.eventListeners.get(event);
    if (listeners === undefined) {
      listeners = new ListenerRegistry<[string]>();
      this.eventListeners.set(event, listeners);
    }
    listeners.add(fn);
  }

  /** Registers a handler of native messages (those without the event prefix), as text. */
  OnMessage(fn: (message: string) => void): void {
    this.nativeListeners.add(fn);
  }

  /**
   * Sends an event; the type digit follows from the value (see `ClientCodec.encode`). Before the
   * socket opens the message waits (up to 100); after it closed the message is dropped, as the
   * browser drops sends on a closed socket.
   * @throws WsRoomsClientError for an event name containing `;` or a value JSON cannot encode.
   */
  Emit(event: string, value?: unknown): void {
    this.send(this.codec.encode(event, value));
  }

  /** Sends a native message, unchanged. */
  EmitMessage(message: string): void {
    this.send(message);
  }

  /** Closes the connection (normal closure). */
  Disconnect(): void {
    this.pending.clear();
    this.conn.close();
  }

  private send(data: SocketData): void {
    const state = this.conn.readyState;
    if (state === ReadyState.Open) this.conn.send(data);
    else if (state === ReadyState.Connecting) this.pending.push(data);
  }

  private handleOpen(): void {
    this.isReady = true;
    while (this.pending.size > 0 && this.conn.readyState === ReadyState.Open) {
      this.conn.send(this.pending.shift() as SocketData);
    }
    this.connectListeners.emit(this.onHandlerError);
  }

  private handleClose(): void {
    this.isReady = false;
    this.pending.clear();
    this.disconnectListeners.emit(this.onHandlerError);
  }

  private handleMessage(data: unknown): void {
    const message = this.codec.parse(data);
    if (message.kind === 'event') {
      // Reserved ws-rooms events are the library's channel; Iris pages never asked for them.
      if (ReservedEventRouter.isReserved(message.event)) return;
      const text =
        typeof message.payload === 'string' ? message.payload : decodeUtf8(message.payload);
      this.eventListeners.get(message.event)?.emit(this.onHandlerError, text);
      return;
    }
    // Like the original, anything that is not a well-formed event message is a native message.
    const raw = toText(data);
    if (raw !== undefined) this.nativeListeners.emit(this.onHandlerError, raw);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.onHandlerError(error);
    }
  }
}

const utf8Decoder = new TextDecoder('utf-8');

function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

function toText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) {
    return decodeUtf8(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return decodeUtf8(new Uint8Array(data as ArrayBuffer));
  }
  return undefined;
}

function rethrowAsync(error: unknown): void {
  setTimeout(() => {
    throw error;
  }, 0);
}
