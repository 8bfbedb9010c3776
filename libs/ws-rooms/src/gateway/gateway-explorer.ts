import { Logger } from '@nestjs/common';
import {
  type DiscoveryService,
  type ExternalContextCreator,
  MetadataScanner,
  type ModuleRef,
} from '@nestjs/core';
import {
  NEST_PARAM_ARGS_METADATA,
  NEST_WS_PARAM_PAYLOAD,
  WS_ROOMS_EVENT_METADATA,
  WS_ROOMS_GATEWAY_METADATA,
  WS_ROOMS_NATIVE_METADATA,
} from '../constants';
import type { Connection } from '../connection/connection';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type { OnWsConnection, OnWsDisconnect } from '../interfaces/lifecycle-hooks.interface';
import type { DisconnectInfo } from '../interfaces/ws-connection.interface';
import type { DecodedValue } from '../protocol/message-codec';
import { coercePayload } from '../protocol/payload-coercion';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import type { WsRoomsGatewayMetadata } from './decorators/ws-rooms-gateway.decorator';
import { createDirectHandler, type GatewayHandler, type GlobalEnhancers } from './direct-handler';
import { GatewayExceptionFilters } from './gateway-exception-filters';
import { WsRoomsArgumentsHost } from './ws-arguments-host';
import { WsParamsFactory } from './ws-params.factory';

type NestHandler = (...args: unknown[]) => Promise<unknown>;
type GatewayInstance = Partial<OnWsConnection & OnWsDisconnect> & {
  handleConnection?: (connection: Connection, request: unknown) => unknown;
  handleDisconnect?: (connection: Connection) => unknown;
} & Record<string, unknown>;

interface ParamMetadata {
  readonly index: number;
  readonly data?: unknown;
}

/**
 * Finds the gateways of one endpoint at bootstrap and binds their handlers to its server through
 * Nest's context creator — which is what makes guards, pipes and interceptors work on them. The
 * decorators only record metadata; everything happens here, once.
 */
export class GatewayExplorer {
  private readonly logger: Logger;
  private readonly scanner = new MetadataScanner();
  private readonly paramsFactory = new WsParamsFactory();

  constructor(
    private readonly server: WsRoomsServer,
    private readonly discovery: DiscoveryService,
    private readonly contextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
  ) {
    this.logger = new Logger(`WsRooms:${server.name}`);
  }

  /** Binds every gateway of the endpoint; returns how many were found. */
  explore(): number {
    let count = 0;
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!metatype || typeof metatype !== 'function') continue;
      const metadata = Reflect.getMetadata(WS_ROOMS_GATEWAY_METADATA, metatype) as
        WsRoomsGatewayMetadata | undefined;
      if (metadata === undefined || metadata.endpoint !== this.server.name) continue;
      if (!wrapper.isDependencyTreeStatic() || !instance || typeof instance !== 'object') {
        throw new WsRoomsError(
          WsRoomsErrorCode.InvalidGateway,
          `ws-rooms: gateway ${metatype.name} must be a singleton (it or a dependency is request- or transient-scoped)`,
        );
      }
      this.bindGateway(instance as GatewayInstance);
      count++;
    }
    return count;
  }

  private bindGateway(instance: GatewayInstance): void {
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = instance[methodName];
      if (typeof method !== 'function') continue;
      const events = Reflect.getMetadata(WS_ROOMS_EVENT_METADATA, method) as string[] | undefined;
      const isNative = Reflect.getMetadata(WS_ROOMS_NATIVE_METADATA, method) === true;
      if (events === undefined && !isNative) continue;
      const call = this.createHandler(
        instance,
        methodName,
        method as (...args: unknown[]) => unknown,
      );
      const bodyType = this.declaredBodyType(instance, methodName);
      for (const event of events ?? []) {
        if (this.server.hasEventHandler(event)) {
          this.logger.warn(
            `event "${event}" has several handlers; they all run, in registration order`,
          );
        }
        this.server.addEventHandler(event, (connection, value) =>
          call(connection, coercePayload(value, bodyType), event),
        );
      }
      if (isNative) {
        this.server.addNativeHandler((connection, data) =>
          call(connection, coercePayload(data as DecodedValue, bodyType ?? Buffer), undefined),
        );
      }
    }
    this.bindLifecycleHooks(instance);
  }

  private bindLifecycleHooks(instance: GatewayInstance): void {
    if (typeof instance.onWsConnection === 'function') {
      this.server.addConnectionHook((connection) => instance.onWsConnection!(connection));
    } else if (typeof instance.handleConnection === 'function') {
      // `OnGatewayConnection` of @nestjs/websockets, for gateways ported from platform-ws.
      this.server.addConnectionHook((connection) =>
        instance.handleConnection!(connection, connection.upgradeRequest),
      );
    }
    if (typeof instance.onWsDisconnect === 'function') {
      this.server.addDisconnectHook((connection, info: DisconnectInfo) =>
        instance.onWsDisconnect!(connection, info),
      );
    } else if (typeof instance.handleDisconnect === 'function') {
      this.server.addDisconnectHook((connection) => instance.handleDisconnect!(connection));
    }
  }

  /**
   * Wraps a method with guards, interceptors and pipes (Nest's context creator) and with the
   * handler's exception filters (ours, see GatewayExceptionFilters). Errors no filter handles are
   * re-thrown for the server, which answers with the `ws-rooms:error` event.
   */
  private createHandler(
    instance: GatewayInstance,
    methodName: string,
    method: (...args: unknown[]) => unknown,
  ): (connection: Connection, payload: unknown, event: string | undefined) => unknown {
    const handler: GatewayHandler =
      createDirectHandler(instance, methodName, method, this.globalEnhancers()) ??
      (this.contextCreator.create(
        instance,
        method,
        methodName,
        NEST_PARAM_ARGS_METADATA,
        this.paramsFactory,
        undefined,
        undefined,
        { guards: true, interceptors: true, filters: false },
        'ws',
      ) as NestHandler);
    const filters = GatewayExceptionFilters.forHandler(instance, method, this.moduleRef);
    if (filters.isEmpty) return handler;
    return async (connection, payload, event) => {
      const args = [connection, payload, event];
      try {
        return await handler(connection, payload, event);
      } catch (error) {
        if (await filters.handle(error, new WsRoomsArgumentsHost(args))) return undefined;
        throw error;
      }
    };
  }

  /**
   * The app's global enhancers, read from the application config Nest gives its context creator;
   * undefined (every handler then takes Nest's pipeline) when that is not visible.
   */
  private globalEnhancers(): GlobalEnhancers | undefined {
    const config = (
      this.contextCreator as unknown as { container?: { applicationConfig?: unknown } }
    ).container?.applicationConfig as Partial<GlobalEnhancers> | undefined;
    const methods: (keyof GlobalEnhancers)[] = [
      'getGlobalGuards',
      'getGlobalInterceptors',
      'getGlobalPipes',
      'getGlobalRequestGuards',
      'getGlobalRequestInterceptors',
      'getGlobalRequestPipes',
    ];
    if (config === undefined || methods.some((name) => typeof config[name] !== 'function')) {
      return undefined;
    }
    return config as GlobalEnhancers;
  }

  /** The declared type of the whole-payload `@MessageBody()` parameter, if any. */
  private declaredBodyType(instance: object, methodName: string): unknown {
    const params = Reflect.getMetadata(
      NEST_PARAM_ARGS_METADATA,
      instance.constructor,
      methodName,
    ) as Record<string, ParamMetadata> | undefined;
    if (params === undefined) return undefined;
    const types = Reflect.getMetadata('design:paramtypes', instance, methodName) as
      unknown[] | undefined;
    for (const [key, param] of Object.entries(params)) {
      if (Number(key.split(':')[0]) !== NEST_WS_PARAM_PAYLOAD) continue;
      if (param.data !== undefined && param.data !== null) return undefined;
      return types?.[param.index];
    }
    return undefined;
  }
}
