import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { getWsRoomsOptionsToken } from '../constants';
import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import { WsRoomsTestError, WsRoomsTestErrorCode } from './testing-errors';

/** Where a test client connects: the endpoint's websocket URL and the prefix it speaks. */
export interface EndpointAddress {
  /** `ws://<host>:<port><endpoint path>`, without a query. */
  readonly url: string;
  /** The endpoint's event-message prefix (its `messagePrefix` option). */
  readonly prefix: string;
}

/**
 * Finds where an endpoint of a Nest app listens, from the app itself: the path and prefix from the
 * endpoint's resolved options, the host and port from the HTTP server. An app that does not listen
 * yet is made to listen on 127.0.0.1 with an OS-chosen port (`app.listen(0, '127.0.0.1')`), so a
 * test can go from `Test.createTestingModule(...).compile()` and `createNestApplication()` straight
 * to a connected client.
 * @param endpoint the endpoint's `name` (`'default'` unless `forRoot` named it).
 * @throws WsRoomsTestError `WS_ROOMS_TEST_NO_ENDPOINT`, `WS_ROOMS_TEST_NOT_LISTENING`
 */
export async function endpointAddress(
  app: INestApplication,
  endpoint: string,
): Promise<EndpointAddress> {
  const options = endpointOptions(app, endpoint);
  const server = app.getHttpServer() as Server;
  if (!server.listening) await app.listen(0, '127.0.0.1');
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new WsRoomsTestError(
      WsRoomsTestErrorCode.NotListening,
      `The app's HTTP server listens on ${String(address)}, not on a TCP port: listen on one ` +
        "(app.listen(0, '127.0.0.1')) to test the endpoint over a socket",
    );
  }
  return {
    url: `ws://${connectableHost(address.address)}:${address.port}${options.endpoint}`,
    prefix: options.messagePrefix,
  };
}

function endpointOptions(
  app: INestApplication,
  endpoint: string,
): Pick<ResolvedWsRoomsOptions, 'endpoint' | 'messagePrefix'> {
  let options: Pick<ResolvedWsRoomsOptions, 'endpoint' | 'messagePrefix'> | undefined;
  try {
    options = app.get(getWsRoomsOptionsToken(endpoint), { strict: false });
  } catch {
    options = undefined;
  }
  if (options === undefined || typeof options.endpoint !== 'string') {
    throw new WsRoomsTestError(
      WsRoomsTestErrorCode.NoEndpoint,
      `The app has no ws-rooms endpoint named "${endpoint}": import WsRoomsModule.forRoot(...) ` +
        'in the testing module, or pass the name given to forRoot as the `endpoint` option',
    );
  }
  if (options.endpoint === '') {
    throw new WsRoomsTestError(
      WsRoomsTestErrorCode.NoEndpoint,
      `The ws-rooms endpoint "${endpoint}" is disabled (its endpoint option is '')`,
    );
  }
  return options;
}

/** A host a client on this machine can reach: the loopback for a wildcard, IPv6 in brackets. */
function connectableHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
