import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import { WsRoomsServer } from '../server/ws-rooms.server';

/**
 * The one place an endpoint's server is built, for `WsRoomsModule` and `WsRoomsAdapter` alike: the
 * server keeps the store its resolved options name (the `store` option, an in-memory store unless
 * one is given), whichever way the options arrived.
 */
export function createEndpointServer(options: ResolvedWsRoomsOptions): WsRoomsServer {
  return new WsRoomsServer(options, options.store);
}
