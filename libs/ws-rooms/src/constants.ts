/** Metadata key of `@WsRoomsGateway()`. */
export const WS_ROOMS_GATEWAY_METADATA = 'ws-rooms:gateway';
/** Metadata key of `@OnEvent()` (an array of event names on the method). */
export const WS_ROOMS_EVENT_METADATA = 'ws-rooms:event';
/** Metadata key of `@OnMessage()`. */
export const WS_ROOMS_NATIVE_METADATA = 'ws-rooms:native';

/**
 * Metadata keys and parameter types that Nest's own decorators write (`@MessageBody()`,
 * `@ConnectedSocket()`, `@UseFilters()`, `@Catch()`). Nest does not export them from its public entry
 * points; their values have been stable since Nest 5 and are the same in 11 and 12.
 */
export const NEST_PARAM_ARGS_METADATA = '__routeArguments__';
export const NEST_EXCEPTION_FILTERS_METADATA = '__exceptionFilters__';
export const NEST_FILTER_CATCH_EXCEPTIONS = '__filterCatchExceptions__';
export const NEST_WS_PARAM_SOCKET = 0;
export const NEST_WS_PARAM_PAYLOAD = 3;

/** The DI token of an endpoint's resolved options. */
export function getWsRoomsOptionsToken(name: string): string {
  return `WsRoomsOptions:${name}`;
}

/** The DI token of an endpoint's server. */
export function getWsRoomsServerToken(name: string): string {
  return `WsRoomsServer:${name}`;
}

/** The DI token of an endpoint's {@link RoomsService}; use `@InjectRooms(name)`. */
export function getRoomsServiceToken(name: string): string {
  return `WsRoomsRoomsService:${name}`;
}

/** The DI token of an endpoint's {@link ConnectionsService}; use `@InjectConnections(name)`. */
export function getConnectionsServiceToken(name: string): string {
  return `WsRoomsConnectionsService:${name}`;
}
