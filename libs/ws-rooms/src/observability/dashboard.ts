import type { IncomingMessage, Server } from 'node:http';
import type { Logger } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { WsRoomsAdapter } from '../adapter/ws-rooms.adapter';
import { serveClientScript } from '../http/client-script';
import { All } from '../interfaces/targets';
import { HostPolicy, isLoopbackHost } from '../options/origin-policy';
import { resolveOptions } from '../options/resolve-options';
import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import { describeError } from '../util/describe-error';
import { WsRoomsServer } from '../server/ws-rooms.server';
import { DASHBOARD_CONTENT_SECURITY_POLICY, renderDashboardPage } from './dashboard-page';
import { DASHBOARD_SCRIPT } from './dashboard-script';
import {
  buildDashboardSnapshot,
  type DashboardSnapshot,
  type ObservedEndpoint,
} from './dashboard-snapshot';
import { incomingMessageOf, replyText } from './http-response';
import {
  type DashboardAuthorize,
  type DashboardPaths,
  dashboardPaths,
  type ResolvedDashboardOptions,
} from './observability-options';
import { RateSampler } from './rate-sampler';

/** The event the feed sends, with a {@link DashboardSnapshot}. */
export const DASHBOARD_STATS_EVENT = 'stats';
/** Seconds of message rates the chart shows. */
export const DASHBOARD_HISTORY_SECONDS = 60;

const NO_STORE = { 'Cache-Control': 'no-store' } as const;
const PAGE_HEADERS = {
  ...NO_STORE,
  'Content-Security-Policy': DASHBOARD_CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;

/**
 * True when the request's socket comes from the loopback interface (127.0.0.0/8, ::1). Read from
 * the socket, never from a header.
 */
export function isLoopbackAddress(request: IncomingMessage): boolean {
  const address = request.socket?.remoteAddress ?? '';
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * The default of `dashboard.authorize`: requests from this machine ({@link isLoopbackAddress}) to
 * a loopback name (`localhost`, `127.0.0.1`, `[::1]`, any port; {@link isLoopbackHost}). The
 * address alone is not enough: under DNS rebinding a hostile page in a local browser reaches the
 * server from 127.0.0.1 too, but its requests name the attacker's host.
 */
export function isLoopbackRequest(request: IncomingMessage): boolean {
  return isLoopbackAddress(request) && isLoopbackHost(request);
}

/** Timing of the feed (tests shorten it). */
export interface DashboardClock {
  now(): number;
  /** Milliseconds between two `stats` events. */
  readonly intervalMs: number;
}

const SYSTEM_CLOCK: DashboardClock = { now: () => Date.now(), intervalMs: 1000 };

/**
 * The live dashboard of one endpoint: an HTML page served through the app's HTTP adapter, and a
 * websocket feed served by a second, internal ws-rooms endpoint at `<path>/ws` that pushes a
 * `stats` event every second to the pages that watch. The page, its script and the feed all
 * answer 403 to requests `authorize` refuses; the feed also applies the endpoint's origin policy.
 *
 * The `Host` header is never what grants access. With the default `authorize` a request must come
 * from a loopback address and name a loopback host or one of the endpoint's `allowedHosts`; with
 * any `authorize`, when the endpoint lists `allowedHosts`, the `Host` must be a loopback name or
 * one of them. A DNS-rebound page (its own host name, resolved to this machine) is refused.
 */
export class Dashboard {
  readonly paths: DashboardPaths;
  /** The internal endpoint of the feed. */
  readonly feed: WsRoomsServer;
  private readonly sampler = new RateSampler(DASHBOARD_HISTORY_SECONDS);
  private readonly authorize: DashboardAuthorize;
  private readonly hosts: HostPolicy;
  /** True with the default `authorize` (loopback): the `Host` is checked whatever the endpoint lists. */
  private readonly loopbackOnly: boolean;
  private attachment: WsRoomsAdapter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly clientScriptPath: string;
  private authorizeFailureLogged = false;

  constructor(
    private readonly endpoint: ObservedEndpoint & { readonly options: ResolvedWsRoomsOptions },
    options: ResolvedDashboardOptions,
    private readonly logger: Logger,
    private readonly clock: DashboardClock = SYSTEM_CLOCK,
  ) {
    this.paths = dashboardPaths(options.path);
    this.loopbackOnly = options.authorize === undefined;
    this.authorize = options.authorize ?? isLoopbackAddress;
    const source = endpoint.options;
    this.hosts = new HostPolicy(source.allowedHosts);
    this.clientScriptPath =
      source.clientScriptPath === false ? this.paths.clientScript : source.clientScriptPath;
    this.feed = new WsRoomsServer(
      resolveOptions({
        endpoint: this.paths.feed,
        name: `${source.name}:dashboard`,
        clientScriptPath: false,
        // The endpoint's origin policy: the feed is protected like the endpoint it shows.
        checkOrigin: source.checkOrigin,
        allowedOrigins: source.allowedOrigins,
        error: source.error,
        closeTimeout: source.closeTimeout,
        headers: false,
        // A page only listens: tight limits cost nothing and bound what a stolen session can do.
        maxConnections: 100,
        maxConnectionsPerAddress: 20,
        maxMessageSize: 4096,
        maxMessageRate: 5,
        maxMessageBurst: 10,
        maxRoomsPerConnection: 1,
      }),
    );
    this.feed.setHandshakeGuards([
      {
        canActivate: (context) => this.allows(context.switchToHttp().getRequest<IncomingMessage>()),
      },
    ]);
    // A page that just opened gets the current state at once, not a second later.
    this.feed.addConnectionHook((connection) =>
      connection.emit(DASHBOARD_STATS_EVENT, this.snapshot()),
    );
  }

  /** Serves the page and its script (and the client script, when the endpoint does not). */
  serve(adapter: AbstractHttpAdapter): void {
    if (this.clientScriptPath === this.paths.clientScript) {
      serveClientScript(adapter, this.paths.clientScript);
    }
    this.route(adapter, this.paths.page, () => ({
      contentType: 'text/html; charset=utf-8',
      body: renderDashboardPage(this.snapshot(), {
        clientScript: this.clientScriptPath,
        script: this.paths.script,
        feed: this.paths.feed,
      }),
      headers: PAGE_HEADERS,
    }));
    this.route(adapter, this.paths.script, () => ({
      contentType: 'application/javascript; charset=utf-8',
      body: DASHBOARD_SCRIPT,
      headers: NO_STORE,
    }));
  }

  /** Attaches the feed to the HTTP server and starts the one-second timer. */
  async start(httpServer: Server): Promise<void> {
    if (this.attachment !== undefined) return;
    this.attachment = new WsRoomsAdapter(httpServer);
    this.attachment.create(0, { server: this.feed });
    await this.feed.start();
    const stats = this.endpoint.stats;
    this.sampler.record(this.clock.now(), stats.messagesIn, stats.messagesOut);
    this.timer = setInterval(() => this.tick(), this.clock.intervalMs);
    // The dashboard must never keep the process alive on its own.
    this.timer.unref();
  }

  /** Stops the timer and closes the feed (its pages get close 1001). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const attachment = this.attachment;
    this.attachment = undefined;
    if (attachment !== undefined) await attachment.close(this.feed);
  }

  /** What the page shows now. */
  snapshot(): DashboardSnapshot {
    return buildDashboardSnapshot(this.endpoint, this.sampler, this.clock.now());
  }

  private tick(): void {
    const stats = this.endpoint.stats;
    this.sampler.record(this.clock.now(), stats.messagesIn, stats.messagesOut);
    // Listing the rooms costs a pass over the index: only when some page watches.
    if (this.feed.connectionCount === 0) return;
    try {
      this.feed.broadcastFrom(undefined).to(All).emit(DASHBOARD_STATS_EVENT, this.snapshot());
    } catch (error) {
      this.logger.error(`dashboard update failed: ${describeError(error)}`);
    }
  }

  /** The host rule, then `authorize`, where anything but `true` (a throw included) refuses. Never rejects. */
  private async allows(request: IncomingMessage): Promise<boolean> {
    if (!this.hostAllowed(request)) return false;
    try {
      return (await this.authorize(request)) === true;
    } catch (error) {
      // Once: a request could make authorize throw on purpose, and must not flood the logs.
      if (!this.authorizeFailureLogged) {
        this.authorizeFailureLogged = true;
        this.logger.warn(
          `dashboard authorize threw, the request is refused (later failures are not logged): ${describeError(error)}`,
        );
      }
      return false;
    }
  }

  /** A loopback name or a listed host; any host only for a custom `authorize` and no list. */
  private hostAllowed(request: IncomingMessage): boolean {
    if (isLoopbackHost(request) || this.hosts.lists(request)) return true;
    return !this.loopbackOnly && !this.hosts.restricts;
  }

  private route(
    adapter: AbstractHttpAdapter,
    path: string,
    answer: () => {
      contentType: string;
      body: string;
      headers: Readonly<Record<string, string>>;
    },
  ): void {
    adapter.get(path, (request: unknown, response: unknown) => {
      void this.allows(incomingMessageOf(request)).then((allowed) => {
        try {
          if (!allowed) {
            replyText(adapter, response, 403, 'text/plain; charset=utf-8', 'Forbidden', NO_STORE);
            return;
          }
          const { contentType, body, headers } = answer();
          replyText(adapter, response, 200, contentType, body, headers);
        } catch (error) {
          this.logger.error(`dashboard request ${path} failed: ${describeError(error)}`);
          try {
            replyText(adapter, response, 500, 'text/plain; charset=utf-8', 'Internal Server Error');
          } catch {
            // The response is already gone: nothing left to answer.
          }
        }
      });
    });
  }
}
