import type { Server } from 'node:http';
import type { Logger } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import { Dashboard } from './dashboard';
import { serveMetrics } from './metrics-endpoint';

/**
 * The `metrics` and `dashboard` options of one endpoint, brought to life with it: routes at module
 * init, the dashboard feed at bootstrap, everything stopped before the HTTP server closes.
 */
export class EndpointObservability {
  private readonly dashboard: Dashboard | undefined;
  private stopMetrics: (() => void) | undefined;

  constructor(
    private readonly server: WsRoomsServer,
    private readonly logger: Logger,
  ) {
    const { dashboard } = server.options;
    this.dashboard = dashboard === false ? undefined : new Dashboard(server, dashboard, logger);
  }

  /**
   * Serves the metrics and the dashboard page through the app's HTTP adapter.
   * @throws WsRoomsMetricsError when prom-client is missing or the metrics path is taken otherwise;
   *   WsRoomsError `WS_ROOMS_INVALID_OPTION` when the app has no HTTP adapter.
   */
  serve(adapter: AbstractHttpAdapter | undefined): void {
    const { metrics } = this.server.options;
    if (metrics === false && this.dashboard === undefined) return;
    if (adapter === undefined) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidOption,
        'ws-rooms: "metrics" and "dashboard" need an HTTP server; create the application with NestFactory.create()',
      );
    }
    if (metrics !== false) {
      this.stopMetrics = serveMetrics(adapter, metrics, this.server, this.logger);
      this.logger.log(`metrics served at GET ${metrics.path}`);
    }
    if (this.dashboard !== undefined) {
      this.dashboard.serve(adapter);
      const { page, feed } = this.dashboard.paths;
      this.logger.log(`dashboard served at GET ${page} (feed ${feed})`);
      if (this.server.options.dashboard !== false && !this.server.options.dashboard.authorize) {
        this.logger.warn(
          'dashboard without "authorize": only loopback requests are allowed (behind a reverse proxy on this host, every request is)',
        );
      }
    }
  }

  /** Attaches the dashboard feed to the HTTP server. */
  async start(httpServer: Server): Promise<void> {
    await this.dashboard?.start(httpServer);
  }

  /** Stops the dashboard feed and takes the endpoint's metrics out of the registry. */
  async stop(): Promise<void> {
    this.stopMetrics?.();
    this.stopMetrics = undefined;
    await this.dashboard?.stop();
  }
}
