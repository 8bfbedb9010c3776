import type { Logger } from '@nestjs/common';
import WebSocket from 'ws';
import type { Connection } from '../../connection/connection';
import { CloseCode } from '../../errors/close-codes';
import type { DisconnectInfo } from '../../interfaces/ws-connection.interface';
import type { ConnectionLimiter } from '../admission/connection-limiter';
import { describeError } from '../../util/describe-error';
import type { ServerExtension } from '../extensions/server-extension';
import type { HandlerRegistry } from '../inbound/handler-registry';
import { isPromiseLike } from '../../util/maybe-promise';
import type { RequestManager } from '../requests/request-manager';
import type { Membership } from '../rooms/membership';
import type { WsRoomsStats } from '../server-stats';
import type { ConnectionRegistry } from './connection-registry';

/**
 * The end of connections, whoever ends them: a connection leaves the lists and its rooms once, its
 * pending requests are aborted, the extensions and disconnect handlers run in registration order,
 * then the socket gets its close frame (or is destroyed). It also remembers the connections whose
 * close handshake is still running, so that shutdown can destroy what is left.
 */
export class ConnectionCloser {
  private readonly closing = new Set<Connection>();

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly membership: Membership,
    private readonly requests: RequestManager,
    private readonly limiter: ConnectionLimiter,
    private readonly handlers: HandlerRegistry,
    private readonly extensions: readonly ServerExtension[],
    private readonly stats: WsRoomsStats,
    private readonly logger: Logger,
    private readonly track: (result: unknown) => void,
  ) {}

  /**
   * Ends a connection, once. Returns a promise while an extension keeps something for it (a
   * recovery session of a cut connection).
   */
  close(
    connection: Connection,
    code: number,
    reason: string,
    initiator: 'client' | 'server' = 'server',
    terminate = false,
  ): Promise<void> | undefined {
    if (connection.closed) return undefined;
    if (initiator === 'server' && !terminate) connection.flush();
    connection.closed = true;
    this.limiter.release(connection.limiterKey);
    this.requests.abortAll(connection, code);
    this.registry.delete(connection);
    const rooms = this.membership.leaveAll(connection);
    // 1001 (this node going away) is not an end: with a shared log the client resumes elsewhere.
    // A client's close frame without a code (1005) is as deliberate as one with 1000.
    const deliberate =
      code === 1000 ||
      (initiator === 'client' && code === 1005) ||
      (initiator === 'server' && code !== 1006 && code !== CloseCode.GoingAway);
    const end = { code, initiator, rooms, resumable: !deliberate };
    const kept: Promise<unknown>[] = [];
    for (const extension of this.extensions) {
      const result = extension.ended?.(connection, end);
      if (isPromiseLike(result)) kept.push(Promise.resolve(result));
    }
    const info: DisconnectInfo = { code, reason, initiator };
    for (const hook of this.handlers.disconnectHooks)
      this.runDisconnectListener(connection, () => hook(connection, info));
    for (const listener of connection.takeDisconnectListeners()) {
      this.runDisconnectListener(connection, () => listener(info));
    }
    if (terminate) {
      connection.ws.terminate();
    } else if (initiator === 'server' && connection.ws.readyState === WebSocket.OPEN) {
      this.closing.add(connection);
      connection.ws.once('close', () => this.closing.delete(connection));
      // A connection held by an asynchronous hook is paused: it must read the peer's close frame,
      // or the close would wait for closeTimeout. Its messages are ignored once it is closed.
      if (connection.ws.isPaused) connection.ws.resume();
      connection.ws.close(code, reason);
    }
    if (kept.length === 0) return undefined;
    return Promise.all(kept).then(() => undefined);
  }

  /** The socket closed on its own (peer's close, or the network). */
  socketClosed(connection: Connection, code: number, reason: Buffer): void {
    this.closing.delete(connection);
    this.close(connection, code, reason.toString('utf8'), 'client');
  }

  /** Cuts a connection that does not read fast enough: close 1008, then the close timeout destroys it. */
  cutSlowConsumer(connection: Connection, why: string): void {
    if (connection.closed) return;
    this.stats.slowConsumerCuts++;
    this.logger.warn(`cutting slow consumer ${connection.id}: ${why}`);
    this.close(connection, CloseCode.PolicyViolation, 'slow consumer');
  }

  /** Destroys the sockets whose close handshake has not finished (the end of a shutdown). */
  destroyClosing(): void {
    for (const connection of this.closing) connection.ws.terminate();
    this.closing.clear();
  }

  private runDisconnectListener(connection: Connection, call: () => unknown): void {
    const report = (error: unknown) =>
      this.logger.error(`disconnect handler failed for ${connection.id}: ${describeError(error)}`);
    try {
      const result = call();
      if (isPromiseLike(result)) this.track(Promise.resolve(result).catch(report));
    } catch (error) {
      report(error);
    }
  }
}
