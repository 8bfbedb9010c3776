import type { DisconnectInfo, WsConnection } from './ws-connection.interface';

/**
 * Implemented by a gateway that wants to know about new connections (Iris' `OnConnection`). Runs
 * before any message of the connection is dispatched; when it returns a promise, messages wait for it.
 * A hook that throws closes the connection with 1011. `TConnection` is the endpoint's connection type
 * (`OnWsConnection<WsConnection<ChatData, User, ChatEvents>>`), untyped by default.
 */
export interface OnWsConnection<TConnection = WsConnection> {
  /** Called once per connection, after it joined its own-id room. */
  onWsConnection(connection: TConnection): void | Promise<void>;
}

/**
 * Implemented by a gateway that wants to know about ended connections (Iris' `OnDisconnect`). Runs
 * exactly once per connection, after it left every room, gateways in registration order.
 * `TConnection` is the endpoint's connection type, untyped by default.
 */
export interface OnWsDisconnect<TConnection = WsConnection> {
  /** Called once per connection when it ends. */
  onWsDisconnect(connection: TConnection, info: DisconnectInfo): void | Promise<void>;
}
