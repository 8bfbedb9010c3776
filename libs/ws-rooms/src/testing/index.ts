/**
 * `ws-rooms/testing`: what a team needs to test its gateways. `WsRoomsTestClient` connects to an
 * app built with `Test.createTestingModule` over a real socket, with awaitable, bounded steps;
 * `FakeWsConnection` stands in for the connection in unit tests of a handler and records what the
 * handler did with it. Both take the endpoint's event map.
 * @packageDocumentation
 */
export { FakeBroadcastOperator, type FakeBroadcast } from './fake-broadcast-operator';
export {
  FakeWsConnection,
  type FakeEmit,
  type FakeRequest,
  type FakeWsConnectionOptions,
} from './fake-ws-connection';
export { endpointAddress, type EndpointAddress } from './endpoint-address';
export { WsRoomsTestError, WsRoomsTestErrorCode } from './testing-errors';
export {
  WsRoomsTestClient,
  type TestWaitOptions,
  type WsRoomsTestClientOptions,
} from './ws-rooms-test-client';
