import type { IncomingMessage } from 'node:http';
import type { Logger } from '@nestjs/common';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type { RouteAdapter } from '../observability/http-response';
import { HostPolicy, LOOPBACK_HOST_NAMES, parseHost } from '../options/origin-policy';
import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import type { ResolvedAsyncApiOptions } from './asyncapi-options';
import { type AsyncApiSource, serveAsyncApi } from './asyncapi-route';
import { describeGatewayHandlers, type ProviderLike } from './gateway-handlers';

/** What the endpoint's AsyncAPI document needs of the endpoint's server. */
export interface AsyncApiEndpoint {
  readonly name: string;
  readonly options: ResolvedWsRoomsOptions;
}

/** Where the gateways are found: Nest's `DiscoveryService`. */
export interface ProviderDiscovery {
  getProviders(): readonly ProviderLike[];
}

/**
 * The `asyncapi` option of one endpoint, brought to life with it: the document's route at module
 * init (after the gateways are bound, so that a gateway ws-rooms cannot serve has already failed
 * the start-up), the endpoint taken out of the document before the HTTP server closes.
 */
export class EndpointAsyncApi {
  private stopServing: (() => void) | undefined;

  constructor(
    private readonly endpoint: AsyncApiEndpoint,
    private readonly discovery: ProviderDiscovery,
    private readonly logger: Pick<Logger, 'log' | 'error'>,
  ) {}

  /**
   * Serves the endpoint's part of the AsyncAPI document through the app's HTTP adapter; nothing
   * when the option is off.
   * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION` when the app has no HTTP adapter, or when
   *   endpoints sharing the document's path disagree on its title, version or description.
   */
  serve(adapter: RouteAdapter | undefined): void {
    const options = this.endpoint.options.asyncapi;
    if (options === false) return;
    if (adapter === undefined) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidOption,
        'ws-rooms: "asyncapi" needs an HTTP server; create the application with NestFactory.create()',
      );
    }
    this.stopServing = serveAsyncApi(adapter, options.path, this.source(options), this.logger);
    this.logger.log(`AsyncAPI document served at GET ${options.path}`);
  }

  /** Takes the endpoint out of the document. */
  stop(): void {
    this.stopServing?.();
    this.stopServing = undefined;
  }

  private source(options: ResolvedAsyncApiOptions): AsyncApiSource {
    const { name } = this.endpoint;
    const endpointOptions = this.endpoint.options;
    const hostPolicy = new HostPolicy(endpointOptions.allowedHosts);
    return {
      info: { title: options.title, version: options.version, description: options.description },
      describe: () => ({
        name,
        path: endpointOptions.endpoint,
        prefix: endpointOptions.messagePrefix,
        presence: endpointOptions.presence !== false,
        recovery: endpointOptions.recovery !== false,
        handlers: describeGatewayHandlers(this.discovery.getProviders(), name),
        serverEvents: options.serverEvents,
        requestsToClient: options.requestsToClient,
        protocol: options.protocol,
        host: options.host,
        allowedHosts: endpointOptions.allowedHosts,
      }),
      trustedHost: (request) => trustedHost(request, hostPolicy),
    };
  }
}

/**
 * The request's `Host`, normalized, when it may be written into the document: a loopback name
 * (a page brought here by DNS rebinding sends its own name, never these), or a host of the
 * endpoint's `allowedHosts`. Any other `Host` is whatever the client chose to send.
 */
function trustedHost(request: IncomingMessage, policy: HostPolicy): string | undefined {
  const host = parseHost(request.headers?.host);
  if (host === null) return undefined;
  const trusted =
    LOOPBACK_HOST_NAMES.includes(host.name) || (policy.restricts && policy.accepts(request));
  if (!trusted) return undefined;
  return host.port === undefined ? host.name : `${host.name}:${host.port}`;
}
