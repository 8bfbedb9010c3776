import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@nestjs/common';
import type WebSocket from 'ws';
import { Connection } from '../../connection/connection';
import type { ConnectionHost } from '../../connection/connection';
import { bindSocket } from '../../connection/socket-binding';
import { CloseCode } from '../../errors/close-codes';
import type { ResolvedWsRoomsOptions } from '../../options/ws-rooms-options.interface';
import type { RoomStore } from '../../store/room-store.interface';
import { retainUpgradeRequest } from '../admission/retained-request';
import type { ConnectionLimiter } from '../admission/connection-limiter';
import { describeError } from '../../util/describe-error';
import type { RecoveryExtension, ResumeRequest } from '../extensions/recovery-extension';
import type { ServerExtension } from '../extensions/server-extension';
import type { FloodGuard } from '../inbound/flood-guard';
import type { HandlerRegistry } from '../inbound/handler-registry';
import { isPromiseLike } from '../../util/maybe-promise';
import type { ConnectionRegistry } from './connection-registry';

/** What accepting a connection needs from the endpoint. */
export interface AcceptPorts {
  isAvailable(): boolean;
  now(): number;
  track(result: unknown): void;
  close(connection: Connection, code: number, reason: string): void;
  /** Keeps the connection's messages, replies to server requests excepted, until `release`. */
  hold(connection: Connection): void;
  /** Handles the messages kept since `hold`, in order, and reads on. */
  release(connection: Connection): void;
}

/**
 * Turns an upgraded socket into a live connection: its state, its listeners, its place in the
 * registry and the store, its recovery session, then the connection hooks. Messages wait while a
 * replay (the socket is paused) or an asynchronous hook runs, as they would after Iris'
 * `OnConnection`; during the hooks the socket is still read, so that the replies to requests a hook
 * awaits arrive (the dispatcher holds every other message until the hooks end).
 */
export class ConnectionAcceptor {
  constructor(
    private readonly options: ResolvedWsRoomsOptions,
    private readonly host: ConnectionHost,
    private readonly registry: ConnectionRegistry,
    private readonly limiter: ConnectionLimiter,
    private readonly store: RoomStore,
    private readonly flood: FloodGuard,
    private readonly handlers: HandlerRegistry,
    private readonly recovery: RecoveryExtension | null,
    private readonly extensions: readonly ServerExtension[],
    private readonly logger: Logger,
    private readonly ports: AcceptPorts,
  ) {}

  accept(
    ws: WebSocket,
    request: IncomingMessage,
    socket: Duplex,
    id: string,
    address: string,
    resume: ResumeRequest | null,
  ): void {
    if (!this.ports.isAvailable() || this.registry.has(id)) {
      this.limiter.release(address);
      ws.close(CloseCode.GoingAway, 'server shutting down');
      return;
    }
    const connection = new Connection(
      id,
      ws,
      socket,
      this.host,
      retainUpgradeRequest(request, this.options.headers, this.options.maxHeaderBytes),
      request.socket.remoteAddress,
      this.ports.now(),
    );
    connection.principal = (request as IncomingMessage & { principal?: unknown }).principal;
    connection.compressed = ws.extensions !== '';
    connection.limiterKey = address;
    this.flood.start(connection.budget);
    this.registry.add(connection);
    bindSocket(ws, connection);
    this.ports.track(this.store.connected(id));
    for (const extension of this.extensions) {
      this.ports.track(extension.connected?.(connection, request));
    }
    const started =
      resume === null || this.recovery === null
        ? undefined
        : this.recovery.accepted(connection, resume);
    if (started === undefined) return this.runConnectionHooks(connection);
    ws.pause();
    this.ports.track(
      started.then(() => {
        if (connection.closed) return;
        ws.resume();
        this.runConnectionHooks(connection);
      }),
    );
  }

  private runConnectionHooks(connection: Connection): void {
    if (this.handlers.connectionHooks.length === 0) return;
    const waits: Promise<unknown>[] = [];
    for (const hook of this.handlers.connectionHooks) {
      try {
        const result = hook(connection);
        if (isPromiseLike(result)) waits.push(Promise.resolve(result));
      } catch (error) {
        return this.hookFailed(connection, error);
      }
    }
    if (waits.length === 0) return;
    this.ports.hold(connection);
    this.ports.track(
      Promise.all(waits).then(
        () => this.ports.release(connection),
        (error: unknown) => {
          this.hookFailed(connection, error);
          this.ports.release(connection);
        },
      ),
    );
  }

  private hookFailed(connection: Connection, error: unknown): void {
    this.logger.error(`connection hook failed for ${connection.id}: ${describeError(error)}`);
    this.ports.close(connection, CloseCode.InternalError, 'connection hook failed');
  }
}
