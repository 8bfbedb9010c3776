import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { CloseCode } from '../errors/close-codes';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import type { Target } from '../interfaces/targets';
import type {
  ConnectionEventListener,
  DisconnectInfo,
  WsConnection,
} from '../interfaces/ws-connection.interface';
import type { EmitValue } from '../protocol/message-codec';
import type {
  EmitOptions,
  RequestOptions,
  UpgradeRequestInfo,
} from '../interfaces/ws-connection.interface';
import type { ConnectionHostOf } from './connection-host.interface';
import type { InboundBudget, OutgoingRequests, RecoveryState } from './connection-state';

/** The endpoint that owns connections, as a connection sees it (see {@link ConnectionHostOf}). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a host serves connections of any data type
export type ConnectionHost = ConnectionHostOf<Connection<any, any>>;

/** A per-connection native message listener: the bytes and whether the frame was binary. */
export type NativeListener = (data: Buffer, isBinary: boolean) => void;

function frameHeaderLength(frame: Buffer): number {
  const length = frame[1] & 0x7f;
  return length === 126 ? 4 : length === 127 ? 10 : 2;
}

const NO_HEADERS: IncomingHttpHeaders = Object.freeze({}) as IncomingHttpHeaders;
const MAX_REASON_BYTES = 123;

/**
 * The server-side state of one connection. Kept small on purpose (no per-connection closures or
 * timers): idle connections are what a websocket server mostly holds.
 */

export class Connection<
  TData extends object = Record<string, unknown>,
  TPrincipal = unknown,
> implements WsConnection<TData, TPrincipal> {
  /**
   * Bytes written into the socket since this connection corked it, in this event-loop turn; 0 while
   * the socket is not corked by it. The write batcher uncorks it at the end of the turn.
   */
  corkedBytes = 0;
  /** Heartbeat state, driven by the server's sweep. */
  awaitingPong = false;
  /** The heartbeat's timing-wheel slot (-1: not in it); written by the heartbeat only. */
  wheelSlot = -1;
  lastPingAt: number;
  /** When the kernel-side send buffer was first seen non-empty without draining since (0: never). */
  stalledSince = 0;
  closed = false;
  /** What `authenticate` returned (or `request.user` set by a handshake guard). */
  principal = undefined as TPrincipal;
  /** permessage-deflate was negotiated: frames go through `ws`, which compresses them. */
  compressed = false;
  /** The inbound message budget (the flood guard's). */
  readonly budget: InboundBudget = {
    tokens: 0,
    refilledAt: 0,
    refusedInARow: 0,
    toldAt: Number.NEGATIVE_INFINITY,
    pendingHandlers: 0,
  };
  /** Requests this server sent to the client (the request part's; created on first use). */
  requests: OutgoingRequests | undefined = undefined;
  /** The recovery session, when the client opted in (the recovery extension's). */
  recovery: RecoveryState | undefined = undefined;
  /** The remote address the connection limiter counted this connection under. */
  limiterKey = '';

  private _data: TData | undefined;
  private listeners: Map<string, ConnectionEventListener[]> | undefined;
  private nativeListeners: NativeListener[] | undefined;
  private disconnectListeners: ((info: DisconnectInfo) => void)[] | undefined;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly socket: Duplex,
    /** The server that owns this connection. */
    readonly host: ConnectionHost,
    readonly upgradeRequest: UpgradeRequestInfo | undefined,
    readonly remoteAddress: string | undefined,
    now: number,
  ) {
    this.lastPingAt = now;
  }

  get endpoint(): string {
    return this.host.name;
  }

  get headers(): IncomingHttpHeaders {
    return this.upgradeRequest?.headers ?? NO_HEADERS;
  }

  get data(): TData {
    if (this._data === undefined) this._data = {} as TData;
    return this._data;
  }

  get recovered(): boolean {
    return this.recovery?.recovered === true;
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  emit(event: string, value?: EmitValue, options?: EmitOptions): void {
    this.sendFrame(this.host.frameEvent(event, value, options?.binary), options?.volatile === true);
  }

  emitMessage(data: string | Uint8Array, options?: EmitOptions): void {
    this.sendFrame(this.host.frameNative(data, options?.binary), options?.volatile === true);
  }

  request<TReply = unknown>(
    event: string,
    value?: EmitValue,
    options?: RequestOptions,
  ): Promise<TReply> {
    return this.host.request(this, event, value, options?.timeout) as Promise<TReply>;
  }

  to(target: Target): BroadcastOperator {
    return this.host.broadcastFrom(this.id).to(target);
  }

  join(room: string): Promise<void> {
    return this.host.join(this, room);
  }

  leave(room: string): Promise<void> {
    return this.host.leave(this, room);
  }

  rooms(): string[] {
    return [this.id, ...this.host.index.roomsOf(this.id)];
  }

  isIn(room: string): boolean {
    return room === this.id || this.host.index.has(this.id, room);
  }

  disconnect(code: number = CloseCode.Normal, reason = ''): void {
    if (code !== CloseCode.Normal && (code < 3000 || code > 4999 || !Number.isInteger(code))) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidOption,
        `disconnect(): close code must be 1000 or within 3000-4999, got ${code}`,
      );
    }
    if (Buffer.byteLength(reason) > MAX_REASON_BYTES) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidOption,
        `disconnect(): reason must be at most ${MAX_REASON_BYTES} bytes`,
      );
    }
    this.host.close(this, code, reason);
  }

  on(event: string, listener: ConnectionEventListener): () => void {
    this.listeners ??= new Map();
    const list = this.listeners.get(event);
    if (list === undefined) this.listeners.set(event, [listener]);
    else list.push(listener);
    return () => {
      const current = this.listeners?.get(event);
      const at = current?.indexOf(listener) ?? -1;
      if (at !== -1) current!.splice(at, 1);
    };
  }

  onMessage(listener: NativeListener): () => void {
    (this.nativeListeners ??= []).push(listener);
    return () => {
      const at = this.nativeListeners?.indexOf(listener) ?? -1;
      if (at !== -1) this.nativeListeners!.splice(at, 1);
    };
  }

  onDisconnect(listener: (info: DisconnectInfo) => void): void {
    (this.disconnectListeners ??= []).push(listener);
  }

  /** The per-connection listeners of an event (empty array when none). */
  listenersOf(event: string): readonly ConnectionEventListener[] {
    return this.listeners?.get(event) ?? EMPTY_LISTENERS;
  }

  /** The per-connection native listeners. */
  get nativeMessageListeners(): readonly NativeListener[] {
    return this.nativeListeners ?? EMPTY_NATIVE;
  }

  /** Takes the per-connection disconnect listeners (they run once). */
  takeDisconnectListeners(): ((info: DisconnectInfo) => void)[] {
    const listeners = this.disconnectListeners ?? [];
    this.disconnectListeners = undefined;
    return listeners;
  }

  /**
   * Sends one pre-framed message: the bytes go straight into the socket, corked from the first
   * frame of the event-loop turn until the end of the turn (or until `writeBufferSize` bytes wait),
   * so that the frames of one turn leave with one system call, in the order they were sent and
   * before anything `ws` writes afterwards (a pong, a close frame). Returns false when the frame
   * was dropped (connection closing, or a volatile send to a backed-up connection).
   */
  sendFrame(frame: Buffer, isVolatile: boolean): boolean {
    if (this.closed) return false;
    if (this.compressed) return this.sendThroughWs(frame, isVolatile);
    const socket = this.socket;
    const limits = this.host.limits;
    // Bytes already waiting: those the kernel has not taken yet plus this turn's corked frames.
    // One large frame to an idle connection is not a slow consumer.
    const queued = socket.writableLength;
    if (queued > 0 && queued + frame.length > limits.maxBufferedBytes) {
      if (!isVolatile) this.host.cutSlowConsumer(this, 'send queue over maxBufferedBytes');
      return false;
    }
    // Closing (a close frame is written or under way): nothing may follow the close frame.
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    const corked = this.corkedBytes + frame.length;
    if (corked === frame.length) {
      // A frame that fills a batch by itself has nothing to wait for.
      if (corked >= limits.writeBufferSize) {
        socket.write(frame);
        this.host.wrote?.(this);
        return true;
      }
      socket.cork();
      this.host.scheduleFlush(this);
    }
    socket.write(frame);
    this.corkedBytes = corked;
    if (corked >= limits.writeBufferSize) this.flush();
    return true;
  }

  /** Writes the frames corked during this turn now (one system call for all of them). */
  flush(): void {
    if (this.corkedBytes === 0) return;
    this.corkedBytes = 0;
    this.socket.uncork();
  }

  /**
   * permessage-deflate: `ws` must compress each message, so it gets the payload unframed and
   * queues it behind the ones it is still compressing; its `bufferedAmount` counts that queue.
   */
  private sendThroughWs(frame: Buffer, isVolatile: boolean): boolean {
    const ws = this.ws;
    const queued = ws.bufferedAmount;
    if (queued > 0 && queued + frame.length > this.host.limits.maxBufferedBytes) {
      if (!isVolatile) this.host.cutSlowConsumer(this, 'send queue over maxBufferedBytes');
      return false;
    }
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(frame.subarray(frameHeaderLength(frame)), { binary: (frame[0] & 0x0f) === 2 });
      this.host.wrote?.(this);
    }
    return true;
  }
}

const EMPTY_LISTENERS: readonly ConnectionEventListener[] = Object.freeze([]);
const EMPTY_NATIVE: readonly NativeListener[] = Object.freeze([]);
