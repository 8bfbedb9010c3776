import {
  type BeforeApplicationShutdown,
  type CanActivate,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type {
  DiscoveryService,
  ExternalContextCreator,
  HttpAdapterHost,
  ModuleRef,
} from '@nestjs/core';
import { WsRoomsAdapter } from '../adapter/ws-rooms.adapter';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { type BoundGateway, GatewayExplorer } from '../gateway/gateway-explorer';
import { WsRoomsEndpoint } from '../gateway/ws-rooms-endpoint';
import { EndpointObservability } from '../observability/endpoint-observability';
import { EndpointAsyncApi } from '../asyncapi/endpoint-asyncapi';
import { closeHttpConnectionsAt } from '../server/admission/http-connections-deadline';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import { monotonicNow } from '../util/clock';
import { serveClientScriptOnce } from './client-script-routes';

/**
 * Brings one endpoint to life with the application: serves the client script and binds the
 * gateways at module init (WsRoomsModule is global, so this runs before the `onModuleInit` of any
 * other module's provider), attaches to the HTTP server at bootstrap, and shuts down gracefully
 * before the HTTP server closes.
 */
export class EndpointHost
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger: Logger;
  private adapter: WsRoomsAdapter | undefined;
  private readonly observability: EndpointObservability;
  private readonly asyncApi: EndpointAsyncApi;
  /** What `@WebSocketServer()` properties of the endpoint's gateways receive. */
  readonly handle: WsRoomsEndpoint;
  private gateways: readonly BoundGateway[] = [];

  constructor(
    readonly server: WsRoomsServer,
    private readonly discovery: DiscoveryService,
    private readonly contextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
    private readonly httpAdapterHost: HttpAdapterHost,
  ) {
    this.logger = new Logger(`WsRooms:${server.name}`);
    this.observability = new EndpointObservability(server, this.logger);
    this.handle = new WsRoomsEndpoint(server);
    this.asyncApi = new EndpointAsyncApi(server, discovery, this.logger);
  }

  onModuleInit(): void {
    const names = this.endpointNames();
    const path = this.server.options.clientScriptPath;
    const httpAdapter = this.httpAdapterHost.httpAdapter;
    if (path !== false && httpAdapter) serveClientScriptOnce(httpAdapter, path);
    this.observability.serve(httpAdapter ?? undefined);
    this.gateways = new GatewayExplorer(
      { server: this.server, handle: this.handle, allNames: names },
      this.discovery,
      this.contextCreator,
      this.moduleRef,
    ).explore();
    // After the gateways are bound: a gateway ws-rooms cannot serve has failed the start-up.
    this.asyncApi.serve(httpAdapter ?? undefined);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { endpoint } = this.server.options;
    this.server.setHandshakeGuards(await this.resolveGuards());
    const gateways = this.gateways.length;
    if (endpoint === '') {
      await this.runAfterInit();
      this.logger.log('endpoint is empty: the websocket server is disabled');
      return;
    }
    const httpServer = this.httpAdapterHost.httpAdapter?.getHttpServer();
    if (!httpServer) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidOption,
        'ws-rooms: no HTTP server; create the application with NestFactory.create() (not createApplicationContext)',
      );
    }
    this.adapter = new WsRoomsAdapter(httpServer);
    this.adapter.create(0, { server: this.server });
    await this.server.start();
    await this.observability.start(httpServer);
    await this.runAfterInit();
    this.logger.log(
      `websocket endpoint ${endpoint} ready (${gateways} gateway${gateways === 1 ? '' : 's'})`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    const deadline = monotonicNow() + this.server.options.closeTimeout;
    this.asyncApi.stop();
    // Side by side, not one after the other: the whole shutdown is bounded by one closeTimeout.
    await Promise.all([
      this.observability.stop(),
      this.adapter !== undefined ? this.adapter.close(this.server) : this.server.shutdown(),
    ]);
    // Nest closes the HTTP server next; what is still open on it by the deadline is destroyed.
    const httpServer = this.httpAdapterHost.httpAdapter?.getHttpServer();
    if (httpServer) closeHttpConnectionsAt(httpServer, deadline);
  }

  /** Guard classes come from DI (a provider or injectable somewhere in the app), else are created. */
  private async resolveGuards(): Promise<CanActivate[]> {
    const guards: CanActivate[] = [];
    for (const entry of this.server.options.handshakeGuards) {
      if (typeof entry !== 'function') {
        guards.push(entry);
        continue;
      }
      try {
        guards.push(this.moduleRef.get(entry, { strict: false }));
      } catch {
        guards.push(await this.moduleRef.create(entry));
      }
    }
    return guards;
  }

  /** Nest's `OnGatewayInit`: `afterInit(endpoint)` of each gateway, once the endpoint has started. */
  private async runAfterInit(): Promise<void> {
    for (const gateway of this.gateways) await gateway.afterInit?.(this.handle);
  }

  /**
   * The names of every endpoint of the application.
   * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION` when two endpoints share this one's name.
   */
  private endpointNames(): string[] {
    const hosts = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is EndpointHost => instance instanceof EndpointHost);
    const names = hosts.map((host) => host.server.name);
    if (names.filter((name) => name === this.server.name).length > 1) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidOption,
        `ws-rooms: two endpoints are named "${this.server.name}"; give each forRoot() a distinct "name"`,
      );
    }
    return [...new Set(names)];
  }
}
