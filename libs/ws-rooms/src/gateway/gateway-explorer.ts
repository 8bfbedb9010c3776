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
import { DEFAULT_ENDPOINT_NAME } from '../options/resolve-options';
import { assertEventName, type DecodedValue } from '../protocol/message-codec';
import { coercePayload } from '../protocol/payload-coercion';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import { markGatewayBound } from './bound-gateways';
import { hasMessageIsBinary } from './decorators/message-is-binary.decorator';
import type { WsRoomsGatewayMetadata } from './decorators/ws-rooms-gateway.decorator';
import { GatewayHandlerFactory } from './gateway-handler-factory';
import { eventArguments, nativeArguments } from './handler-arguments';
import {
  isNestWebSocketGateway,
  subscribedMessageOf,
  webSocketServerProperties,
} from './nest-gateway-metadata';
import type { WsRoomsEndpoint } from './ws-rooms-endpoint';

type GatewayInstance = Partial<OnWsConnection & OnWsDisconnect> & {
  handleConnection?: (connection: Connection, request: unknown) => unknown;
  handleDisconnect?: (connection: Connection) => unknown;
  afterInit?: (endpoint: WsRoomsEndpoint) => unknown;
} & Record<string, unknown>;

interface ParamMetadata {
  readonly index: number;
  readonly data?: unknown;
}

/** A gateway the explorer bound, for the hooks that run once the endpoint has started. */
export interface BoundGateway {
  readonly name: string;
  /** Nest's `OnGatewayInit.afterInit`, bound to the gateway; undefined when it has none. */
  readonly afterInit: ((endpoint: WsRoomsEndpoint) => unknown) | undefined;
}

/** What the explorer needs to know about the application's endpoints. */
export interface ExploredEndpoint {
  readonly server: WsRoomsServer;
  /** What `@WebSocketServer()` properties of its gateways receive. */
  readonly handle: WsRoomsEndpoint;
  /** The names of every endpoint of the application, this one included. */
  readonly allNames: readonly string[];
}

/**
 * Finds the gateways of one endpoint at start-up and binds their handlers to its server through
 * Nest's context creator — which is what makes guards, pipes and interceptors work on them. The
 * decorators only record metadata; everything happens here, once. Declarations ws-rooms cannot
 * serve fail here with `WS_ROOMS_INVALID_GATEWAY` instead of being ignored.
 */
export class GatewayExplorer {
  private readonly logger: Logger;
  private readonly scanner = new MetadataScanner();
  private readonly server: WsRoomsServer;
  private readonly handlers: GatewayHandlerFactory;

  constructor(
    private readonly endpoint: ExploredEndpoint,
    private readonly discovery: DiscoveryService,
    contextCreator: ExternalContextCreator,
    moduleRef: ModuleRef,
  ) {
    this.server = endpoint.server;
    this.logger = new Logger(`WsRooms:${this.server.name}`);
    this.handlers = new GatewayHandlerFactory(contextCreator, moduleRef);
  }

  /**
   * Binds every gateway of the endpoint and returns them.
   * @throws WsRoomsError `WS_ROOMS_INVALID_GATEWAY` for a gateway naming an endpoint that does not
   *   exist, a gateway that is not a singleton, one that is also Nest's `@WebSocketGateway`, a
   *   `@SubscribeMessage` whose message is not a string, a misplaced `@MessageIsBinary()`.
   */
  explore(): BoundGateway[] {
    const gateways: BoundGateway[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!metatype || typeof metatype !== 'function') continue;
      const metadata = Reflect.getMetadata(WS_ROOMS_GATEWAY_METADATA, metatype) as
        WsRoomsGatewayMetadata | undefined;
      if (metadata === undefined) continue;
      this.assertKnownEndpoint(metatype.name, metadata.endpoint);
      if (metadata.endpoint !== this.server.name) continue;
      if (isNestWebSocketGateway(metatype)) {
        throw invalid(
          `gateway ${metatype.name} has both @WsRoomsGateway() and Nest's @WebSocketGateway(); keep ` +
            '@WsRoomsGateway() (served by WsRoomsModule), or keep @WebSocketGateway() and install ' +
            'app.useWebSocketAdapter(new WsRoomsAdapter(app))',
        );
      }
      if (!wrapper.isDependencyTreeStatic() || !instance || typeof instance !== 'object') {
        throw invalid(
          `gateway ${metatype.name} must be a singleton (it or a dependency is request- or transient-scoped)`,
        );
      }
      gateways.push(this.bindGateway(instance as GatewayInstance, metatype.name));
      markGatewayBound(instance as object);
    }
    return gateways;
  }

  private assertKnownEndpoint(gateway: string, endpoint: string): void {
    const names = this.endpoint.allNames;
    if (names.includes(endpoint)) return;
    const known = names.map((name) => `"${name}"`).join(', ');
    const fix =
      names.length === 1
        ? `@WsRoomsGateway(${names[0] === DEFAULT_ENDPOINT_NAME ? '' : `{ endpoint: '${names[0]}' }`})`
        : `@WsRoomsGateway({ endpoint: <one of ${known}> })`;
    throw invalid(
      `gateway ${gateway} names the endpoint "${endpoint}", but the endpoints of this application are ` +
        `${known}; write ${fix}, or add WsRoomsModule.forRoot({ endpoint: '/path', name: '${endpoint}' })`,
    );
  }

  private bindGateway(instance: GatewayInstance, name: string): BoundGateway {
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = instance[methodName];
      if (typeof method !== 'function') continue;
      const events = this.eventsOf(method, `${name}.${methodName}`);
      const isNative = Reflect.getMetadata(WS_ROOMS_NATIVE_METADATA, method) === true;
      if (
        hasMessageIsBinary(instance.constructor, methodName) &&
        (!isNative || events.length > 0)
      ) {
        throw invalid(
          `${name}.${methodName} has a @MessageIsBinary() parameter but is not only an @OnMessage() ` +
            'handler; the frame kind is known for native messages: put it on an @OnMessage() method',
        );
      }
      if (events.length === 0 && !isNative) continue;
      this.bindMethod(instance, methodName, method as (...args: unknown[]) => unknown, events);
      if (isNative) {
        this.bindNative(instance, methodName, method as (...args: unknown[]) => unknown);
      }
    }
    for (const property of webSocketServerProperties(instance)) {
      Reflect.set(instance, property, this.endpoint.handle);
    }
    this.bindLifecycleHooks(instance);
    const afterInit =
      typeof instance.afterInit === 'function' ? instance.afterInit.bind(instance) : undefined;
    return { name, afterInit };
  }

  /** The events of `@OnEvent` and of Nest's `@SubscribeMessage` (each event once). */
  private eventsOf(method: object, where: string): string[] {
    const events = new Set(
      (Reflect.getMetadata(WS_ROOMS_EVENT_METADATA, method) as string[] | undefined) ?? [],
    );
    const subscribed = subscribedMessageOf(method);
    if (subscribed !== undefined) {
      const { message } = subscribed;
      if (typeof message !== 'string') {
        throw invalid(
          `${where}: @SubscribeMessage() on a ws-rooms gateway takes an event name (a string), got ` +
            `${describeValue(message)}; write @SubscribeMessage('event') or @OnEvent('event')`,
        );
      }
      assertEventName(message, true);
      events.add(message);
    }
    return [...events];
  }

  private bindMethod(
    instance: GatewayInstance,
    methodName: string,
    method: (...args: unknown[]) => unknown,
    events: readonly string[],
  ): void {
    if (events.length === 0) return;
    const call = this.handlers.create(instance, methodName, method);
    const bodyType = declaredBodyType(instance, methodName);
    for (const event of events) {
      if (this.server.hasEventHandler(event)) {
        this.logger.warn(
          `event "${event}" has several handlers; they all run, in registration order`,
        );
      }
      this.server.addEventHandler(event, (connection, value) =>
        call(...eventArguments(connection, coercePayload(value, bodyType), event)),
      );
    }
  }

  private bindNative(
    instance: GatewayInstance,
    methodName: string,
    method: (...args: unknown[]) => unknown,
  ): void {
    const call = this.handlers.create(instance, methodName, method);
    const bodyType = declaredBodyType(instance, methodName);
    this.server.addNativeHandler((connection, data, isBinary) =>
      call(
        ...nativeArguments(
          connection,
          coercePayload(data as DecodedValue, bodyType ?? Buffer),
          isBinary,
        ),
      ),
    );
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
}

/** The declared type of the whole-payload `@MessageBody()` parameter, if any. */
function declaredBodyType(instance: object, methodName: string): unknown {
  const params = Reflect.getMetadata(NEST_PARAM_ARGS_METADATA, instance.constructor, methodName) as
    Record<string, ParamMetadata> | undefined;
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

function invalid(message: string): WsRoomsError {
  return new WsRoomsError(WsRoomsErrorCode.InvalidGateway, `ws-rooms: ${message}`);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'function') return `the function ${value.name || '(anonymous)'}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
