import { Injectable } from '@nestjs/common';
import { WS_ROOMS_GATEWAY_METADATA } from '../../constants';
import { DEFAULT_ENDPOINT_NAME } from '../../options/resolve-options';

// Nest's marker of @Injectable() classes (`@nestjs/common/constants`, not a public entry point).
const INJECTABLE_WATERMARK = '__injectable__';

/** Options of {@link WsRoomsGateway}. */
export interface WsRoomsGatewayOptions {
  /**
   * The name of the endpoint this gateway serves (the `name` option of `WsRoomsModule.forRoot`).
   * @default 'default'
   */
  endpoint?: string;
}

/** The metadata {@link WsRoomsGateway} records. */
export interface WsRoomsGatewayMetadata {
  readonly endpoint: string;
}

/**
 * Marks a provider as a gateway of a ws-rooms endpoint: its `@OnEvent` and `@OnMessage` methods
 * handle messages, and its `onWsConnection` / `onWsDisconnect` methods see connections come and go.
 * Several gateways may serve one endpoint; list them in a module's `providers`.
 */
export function WsRoomsGateway(options: WsRoomsGatewayOptions = {}): ClassDecorator {
  const metadata: WsRoomsGatewayMetadata = { endpoint: options.endpoint ?? DEFAULT_ENDPOINT_NAME };
  return (target) => {
    // An explicit @Injectable({ scope }) below this decorator must keep its options.
    if (!Reflect.hasOwnMetadata(INJECTABLE_WATERMARK, target)) Injectable()(target);
    Reflect.defineMetadata(WS_ROOMS_GATEWAY_METADATA, metadata, target);
  };
}
