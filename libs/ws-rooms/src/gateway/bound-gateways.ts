import { WS_ROOMS_GATEWAY_METADATA } from '../constants';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { DEFAULT_ENDPOINT_NAME } from '../options/resolve-options';

/** Gateway instances an endpoint has bound (by any endpoint of any app in the process). */
const bound = new WeakSet<object>();

/** Records that an endpoint bound this gateway instance. */
export function markGatewayBound(instance: object): void {
  bound.add(instance);
}

/**
 * Fails when no endpoint bound this gateway instance: its class is a `@WsRoomsGateway` provider
 * of an app that imports no `WsRoomsModule`, so nothing would ever call its handlers. Called from
 * the gateway's `onApplicationBootstrap`, which Nest runs after every `onModuleInit` (where the
 * endpoints bind their gateways).
 * @throws WsRoomsError `WS_ROOMS_INVALID_GATEWAY` naming what to import.
 */
export function assertGatewayBound(instance: object): void {
  if (bound.has(instance)) return;
  const type = instance.constructor as { name: string };
  const metadata = Reflect.getMetadata(WS_ROOMS_GATEWAY_METADATA, type) as
    { endpoint: string } | undefined;
  const endpoint = metadata?.endpoint ?? DEFAULT_ENDPOINT_NAME;
  const forRoot =
    endpoint === DEFAULT_ENDPOINT_NAME
      ? `WsRoomsModule.forRoot('/ws')`
      : `WsRoomsModule.forRoot({ endpoint: '/ws', name: '${endpoint}' })`;
  throw new WsRoomsError(
    WsRoomsErrorCode.InvalidGateway,
    `ws-rooms: gateway ${type.name} is a @WsRoomsGateway, but the application imports no WsRoomsModule ` +
      `to serve it; add ${forRoot} (with your path) to the imports of the root module`,
  );
}
