import { Injectable } from '@nestjs/common';
import { WS_ROOMS_GATEWAY_METADATA } from '../../constants';
import { DEFAULT_ENDPOINT_NAME } from '../../options/resolve-options';
import { assertGatewayBound } from '../bound-gateways';

// Nest's marker of @Injectable() classes (`@nestjs/common/constants`, not a public entry point).
const INJECTABLE_WATERMARK = '__injectable__';

/** Options of {@link WsRoomsGateway}. */
export interface WsRoomsGatewayOptions {
  /**
   * The name of the endpoint this gateway serves (the `name` option of `WsRoomsModule.forRoot`).
   * A name no endpoint has fails the start-up (`WS_ROOMS_INVALID_GATEWAY`).
   * @default 'default'
   */
  endpoint?: string;
}

/** The metadata {@link WsRoomsGateway} records. */
export interface WsRoomsGatewayMetadata {
  readonly endpoint: string;
}

type Bootstrap = (...args: unknown[]) => unknown;

/**
 * Marks a provider as a gateway of a ws-rooms endpoint: its `@OnEvent` (or Nest's
 * `@SubscribeMessage`) and `@OnMessage` methods handle messages, its `onWsConnection` /
 * `onWsDisconnect` (or `handleConnection` / `handleDisconnect`) methods see connections come and go,
 * `afterInit(endpoint)` runs once the endpoint has started, and a `@WebSocketServer()` property
 * receives the endpoint's {@link WsRoomsEndpoint}. Several gateways may serve one endpoint; list them
 * in a module's `providers`.
 *
 * Nothing is ignored silently: the start-up fails with `WS_ROOMS_INVALID_GATEWAY` when the gateway
 * names an endpoint that no `WsRoomsModule.forRoot` declares, or when the application imports no
 * `WsRoomsModule` at all. The second check runs in the gateway's `onApplicationBootstrap` (the
 * decorator wraps it, calling the class's own one afterwards): a subclass that overrides that method
 * without calling `super.onApplicationBootstrap()` skips it.
 */
export function WsRoomsGateway(options: WsRoomsGatewayOptions = {}): ClassDecorator {
  const metadata: WsRoomsGatewayMetadata = { endpoint: options.endpoint ?? DEFAULT_ENDPOINT_NAME };
  return (target) => {
    // An explicit @Injectable({ scope }) below this decorator must keep its options.
    if (!Reflect.hasOwnMetadata(INJECTABLE_WATERMARK, target)) Injectable()(target);
    Reflect.defineMetadata(WS_ROOMS_GATEWAY_METADATA, metadata, target);
    const prototype = target.prototype as { onApplicationBootstrap?: Bootstrap };
    const own = prototype.onApplicationBootstrap;
    Object.defineProperty(prototype, 'onApplicationBootstrap', {
      configurable: true,
      writable: true,
      value: function onApplicationBootstrap(this: object, ...args: unknown[]): unknown {
        assertGatewayBound(this);
        return own?.apply(this, args);
      },
    });
  };
}
