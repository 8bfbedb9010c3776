import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import {
  DiscoveryModule,
  DiscoveryService,
  ExternalContextCreator,
  HttpAdapterHost,
  ModuleRef,
} from '@nestjs/core';
import { createEndpointServer } from '../adapter/endpoint-server';
import {
  getConnectionsServiceToken,
  getRoomsServiceToken,
  getWsRoomsOptionsToken,
  getWsRoomsServerToken,
} from '../constants';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { DEFAULT_ENDPOINT_NAME, resolveOptions } from '../options/resolve-options';
import type { ResolvedWsRoomsOptions, WsRoomsOptions } from '../options/ws-rooms-options.interface';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import { ConnectionsService } from '../services/connections.service';
import { RoomsService } from '../services/rooms.service';
import { EndpointHost } from './endpoint-host';
import type {
  WsRoomsAsyncOptions,
  WsRoomsOptionsFactory,
} from './ws-rooms-async-options.interface';

/**
 * The ws-rooms module: one import per websocket endpoint. It is global, so `RoomsService` and
 * `ConnectionsService` can be injected anywhere; gateways are ordinary providers of any module.
 *
 * ```ts
 * @Module({ imports: [WsRoomsModule.forRoot('/my_endpoint')], providers: [ChatGateway] })
 * export class AppModule {}
 * ```
 */
@Module({})
export class WsRoomsModule {
  /**
   * Registers an endpoint from its path, or from options validated right away. `TPrincipal` is
   * inferred from `authenticate` and types `presence.metadata`'s principal.
   */
  static forRoot<TPrincipal = unknown>(
    options: string | WsRoomsOptions<TPrincipal>,
  ): DynamicModule {
    const resolved = resolveOptions(options);
    return this.build(resolved.name, {
      provide: getWsRoomsOptionsToken(resolved.name),
      useValue: resolved,
    });
  }

  /**
   * Registers an endpoint whose options come from DI; they are validated when the factory returns.
   * `TPrincipal` is inferred from the factory's `authenticate`, as for `forRoot`.
   */
  static forRootAsync<TPrincipal = unknown>(
    options: WsRoomsAsyncOptions<TPrincipal>,
  ): DynamicModule {
    const name = options.name ?? DEFAULT_ENDPOINT_NAME;
    const sources = [options.useFactory, options.useClass, options.useExisting].filter(
      (source) => source !== undefined,
    );
    if (sources.length !== 1) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidOption,
        'ws-rooms: forRootAsync() needs exactly one of useFactory, useClass or useExisting',
      );
    }
    const providers: Provider[] = [];
    let optionsProvider: Provider;
    const withName = (value: WsRoomsOptions) =>
      resolveOptions({ ...value, name: value.name ?? name });
    if (options.useFactory !== undefined) {
      const factory = options.useFactory as (
        ...args: unknown[]
      ) => WsRoomsOptions | Promise<WsRoomsOptions>;
      optionsProvider = {
        provide: getWsRoomsOptionsToken(name),
        useFactory: async (...args: unknown[]) => withName(await factory(...args)),
        inject: options.inject ?? [],
      };
    } else {
      const factoryClass = (options.useClass ?? options.useExisting)!;
      if (options.useClass !== undefined) providers.push(options.useClass);
      optionsProvider = {
        provide: getWsRoomsOptionsToken(name),
        useFactory: async (factory: WsRoomsOptionsFactory) =>
          withName(await factory.createWsRoomsOptions()),
        inject: [factoryClass],
      };
    }
    return this.build(name, optionsProvider, options.imports ?? [], providers);
  }

  private static build(
    name: string,
    optionsProvider: Provider,
    imports: DynamicModule['imports'] = [],
    extraProviders: Provider[] = [],
  ): DynamicModule {
    const serverToken = getWsRoomsServerToken(name);
    const roomsToken = getRoomsServiceToken(name);
    const connectionsToken = getConnectionsServiceToken(name);
    const providers: Provider[] = [
      ...extraProviders,
      optionsProvider,
      {
        provide: serverToken,
        useFactory: (options: ResolvedWsRoomsOptions) => createEndpointServer(options),
        inject: [getWsRoomsOptionsToken(name)],
      },
      {
        provide: roomsToken,
        useFactory: (server: WsRoomsServer) => new RoomsService(server),
        inject: [serverToken],
      },
      {
        provide: connectionsToken,
        useFactory: (server: WsRoomsServer) => new ConnectionsService(server),
        inject: [serverToken],
      },
      {
        provide: `WsRoomsEndpointHost:${name}`,
        useFactory: (
          server: WsRoomsServer,
          discovery: DiscoveryService,
          contextCreator: ExternalContextCreator,
          moduleRef: ModuleRef,
          httpAdapterHost: HttpAdapterHost,
        ) => new EndpointHost(server, discovery, contextCreator, moduleRef, httpAdapterHost),
        inject: [serverToken, DiscoveryService, ExternalContextCreator, ModuleRef, HttpAdapterHost],
      },
    ];
    const exported: DynamicModule['exports'] = [serverToken, roomsToken, connectionsToken];
    if (name === DEFAULT_ENDPOINT_NAME) {
      providers.push(
        { provide: RoomsService, useExisting: roomsToken },
        { provide: ConnectionsService, useExisting: connectionsToken },
      );
      exported.push(RoomsService, ConnectionsService);
    }
    return {
      module: WsRoomsModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers,
      exports: exported,
    };
  }
}
