import type { DisconnectInfo, WsConnection } from './ws-connection.interface';

/**
 * Implemented by a gateway that wants to know about new connections (Iris' `OnConnection`). Runs
 * before any message of the connection is dispatched; when it returns a promise, messages wait for it.
 * A hook that throws closes the connection with 1011.
 */
export interface OnWsConnection {
  /** Called once per connection, after it joined its own-id room. */
  onWsConnection(connection: WsConnection): void | Promise<void>;
}

/**
 * Implemented by a gateway that wants to know about ended connections (Iris' `OnDisconnect`). Runs
 * exactly once per connection, after it left every room, gateways in registration order.
 */
export interface OnWsDisconnect {
  /** Called once per connection when it ends. */
  onWsDisconnect(connection: WsConnection, info: DisconnectInfo): void | Promise<void>;
}
