import { createServer, type Server } from 'node:http';
import {
  type INestApplicationContext,
  Logger,
  type WebSocketAdapter,
  type WsMessageHandler,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Observable } from 'rxjs';
import type { Connection } from '../connection/connection';
import type { WsConnection } from '../interfaces/ws-connection.interface';
import { resolveOptions } from '../options/resolve-options';
import type { WsRoomsOptions } from '../options/ws-rooms-options.interface';
import { UpgradeRouter } from '../server/admission/upgrade-router';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import { createEndpointServer } from './endpoint-server';
import { NestMessageBindings } from './nest-message-bindings';

/**
 * Options Nest passes to {@link WsRoomsAdapter.create} from `@WebSocketGateway(port, options)`:
 * every ws-rooms option (`store` included), with Nest's `path` naming the endpoint.
 */
export type WsRoomsAdapterOptions = Partial<WsRoomsOptions> & {
  /** Nest's name for the endpoint path. */
  path?: string;
  /** An already built server to attach (how WsRoomsModule uses the adapter). */
  server?: WsRoomsServer;
};

interface AttachedServer {
  readonly httpServer: Server;
  readonly ownsHttpServer: boolean;
}

/**
 * The Nest `WebSocketAdapter` of ws-rooms: it attaches endpoints to the app's HTTP server (sharing
 * its port) and binds connections and handlers to them. `WsRoomsModule` uses it for you; an app may
 * also install it with `app.useWebSocketAdapter(new WsRoomsAdapter(app))` to serve Nest's own
 * `@WebSocketGateway({ path })` / `@SubscribeMessage()` gateways with the ws-rooms protocol and rooms:
 * their handlers answer events and requests (`client.request(event, value)`, the first handler's
 * value is the reply), and `@WebSocketServer()` gives them the endpoint's `WsRoomsServer`.
 */
export class WsRoomsAdapter implements WebSocketAdapter<
  WsRoomsServer,
  WsConnection,
  WsRoomsAdapterOptions
> {
  private readonly attached = new Map<WsRoomsServer, AttachedServer>();
  private readonly messages = new NestMessageBindings();

  /** @param app the Nest application whose HTTP server the endpoints share, or an HTTP server. */
  constructor(private readonly app?: INestApplicationContext | Server) {}

  /**
   * Creates (or takes) an endpoint server and attaches it. Port 0, or the app's own port, shares the
   * app's HTTP server; any other port gets an HTTP server of its own, as Nest's adapters do. A new
   * server uses the gateway options' `store` (in memory by default), as `WsRoomsModule` does.
   */
  create(port: number, options: WsRoomsAdapterOptions = {}): WsRoomsServer {
    const server =
      options.server ??
      createEndpointServer(
        resolveOptions({ ...options, endpoint: options.endpoint ?? options.path ?? '/' }),
      );
    let httpServer = this.appHttpServer();
    let ownsHttpServer = false;
    if (port > 0 && (httpServer === undefined || !isListeningOn(httpServer, port))) {
      httpServer = createServer((_request, response) => {
        response.statusCode = 426;
        response.end('Upgrade Required');
      });
      httpServer.listen(port);
      ownsHttpServer = true;
    }
    if (httpServer === undefined) {
      throw new Error(
        'ws-rooms: no HTTP server to attach to; create the app with NestFactory.create()',
      );
    }
    if (server.options.endpoint !== '')
      UpgradeRouter.of(httpServer).add(server.options.endpoint, server);
    this.attached.set(server, { httpServer, ownsHttpServer });
    // WsRoomsModule awaits start() itself (one shared promise), so a store that cannot start fails
    // the bootstrap; for Nest's own gateways, the failure is logged instead of going unhandled.
    server.start().catch((error: unknown) => {
      new Logger('WsRoomsAdapter').error(
        `endpoint ${server.options.endpoint} failed to start: ${String(error)}`,
      );
    });
    return server;
  }

  /** Calls `callback(connection, request)` for every new connection (Nest's `handleConnection`). */
  bindClientConnect(
    server: WsRoomsServer,
    callback: (client: WsConnection, request: unknown) => void,
  ): void {
    server.addConnectionHook((connection: Connection) => {
      this.messages.connected(server, connection);
      return callback(connection, connection.upgradeRequest);
    });
  }

  /** Calls `callback(connection)` once when the connection ends (Nest's `handleDisconnect`). */
  bindClientDisconnect(client: WsConnection, callback: (client: WsConnection) => void): void {
    client.onDisconnect(() => callback(client));
  }

  /**
   * Binds Nest's `@SubscribeMessage` handlers of one gateway for one connection. They become
   * handlers of the endpoint (see {@link NestMessageBindings}): an event's value goes to its handler
   * and the handler's result (value, promise or observable's last value) is emitted back as the same
   * event, or as `{ event, data }`'s event; a request (`ws-rooms:request`) is answered with it.
   */
  bindMessageHandlers(
    client: WsConnection,
    handlers: WsMessageHandler<string>[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    this.messages.bind(client, handlers, transform);
  }

  /** Detaches and shuts an endpoint down gracefully. */
  async close(server: WsRoomsServer): Promise<void> {
    const attached = this.attached.get(server);
    this.attached.delete(server);
    if (attached !== undefined)
      UpgradeRouter.of(attached.httpServer).remove(server.options.endpoint);
    await server.shutdown();
    if (attached?.ownsHttpServer)
      await new Promise<void>((resolve) => attached.httpServer.close(() => resolve()));
  }

  /** Shuts down every endpoint this adapter attached. */
  async dispose(): Promise<void> {
    await Promise.all([...this.attached.keys()].map((server) => this.close(server)));
  }

  private appHttpServer(): Server | undefined {
    const app = this.app;
    if (app === undefined) return undefined;
    if (!('get' in app) || typeof app.get !== 'function') return app as Server;
    const context = app as INestApplicationContext & { getHttpServer?: () => Server };
    if (typeof context.getHttpServer === 'function') return context.getHttpServer();
    return context.get(HttpAdapterHost, { strict: false }).httpAdapter?.getHttpServer() as
      Server | undefined;
  }
}

function isListeningOn(server: Server, port: number): boolean {
  const address = server.address();
  return typeof address === 'object' && address !== null && address.port === port;
}
