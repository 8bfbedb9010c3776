import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type CanActivate, type Logger } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import type WebSocket from 'ws';
import type { WebSocketServer } from 'ws';
import { httpStatusOf } from '../../errors/to-ws-rooms-error';
import { HostPolicy, OriginPolicy } from '../../options/origin-policy';
import type { ResolvedWsRoomsOptions } from '../../options/ws-rooms-options.interface';
import type { ConnectionLimiter } from './connection-limiter';
import { describeError } from '../../util/describe-error';
import { ownerKey, type ResumeRequest } from '../extensions/recovery-extension';
import { HandshakeExecutionContext } from './handshake-context';
import type { UpgradeRefusalReason, WsRoomsStats } from '../server-stats';
import { ConnectionRateLimiter } from './connection-rate-limiter';

const MAX_ID_ATTEMPTS = 5;

/** A refusal: the HTTP status and reason sent, and why (for the stats). */
interface Verdict {
  readonly status: number;
  readonly reason: string;
  readonly cause: UpgradeRefusalReason;
}

/** What admission hands an accepted upgrade to. */
export interface AdmissionPorts {
  /** False before start and once shutdown began. */
  isAvailable(): boolean;
  hasConnection(id: string): boolean;
  /** The recovery extension's reading of the upgrade URL (absent without recovery). */
  readonly resume?: (request: IncomingMessage, owner: string) => Promise<ResumeRequest | null>;
  /** Creates the connection for an upgraded socket. */
  accept(
    ws: WebSocket,
    request: IncomingMessage,
    socket: Duplex,
    id: string,
    address: string,
    resume: ResumeRequest | null,
  ): void;
}

/** One upgrade between its arrival and its answer. */
interface PendingUpgrade {
  readonly request: IncomingMessage;
  readonly socket: Duplex;
  readonly address: string;
  /** The slot was given back early (the socket closed, or shutdown answered it). */
  released: boolean;
}

/**
 * Admission of upgrade requests, in order: connection rate per address (429), availability (503),
 * capacity (503), host (403), origin (403), authentication (401), handshake guards (403), id,
 * recovery; the checks from the host on within `handshakeTimeout` (408). Every refusal is an HTTP
 * answer before the upgrade, so a refused socket never reaches room state. A socket that goes away
 * while its checks run gives its slot back at once, and shutdown answers every upgrade still
 * waiting, so that neither a slow `authenticate` nor a vanished client can hold a slot.
 */
export class UpgradeAdmission {
  private readonly originPolicy: OriginPolicy;
  private readonly hostPolicy: HostPolicy;
  private readonly connectionRate: ConnectionRateLimiter;
  private readonly pending = new Set<PendingUpgrade>();
  private guards: readonly CanActivate[] = [];

  constructor(
    private readonly options: ResolvedWsRoomsOptions,
    private readonly limiter: ConnectionLimiter,
    private readonly wss: WebSocketServer,
    private readonly stats: WsRoomsStats,
    private readonly logger: Logger,
    private readonly ports: AdmissionPorts,
  ) {
    this.originPolicy = new OriginPolicy(options.allowedOrigins, options.allowedHosts);
    this.hostPolicy = new HostPolicy(options.allowedHosts);
    this.connectionRate = new ConnectionRateLimiter(
      options.maxConnectionRatePerAddress,
      options.maxConnectionBurstPerAddress,
      options.maxConnectionRateAddresses,
    );
  }

  /** True when the origin policy lets every origin in (warned about at start-up). */
  get allowsEveryOrigin(): boolean {
    return this.originPolicy.allowsEveryOrigin;
  }

  /** Sets the (DI-resolved) guards run on every upgrade request. */
  setHandshakeGuards(guards: readonly CanActivate[]): void {
    this.guards = guards;
  }

  /** Handles one upgrade request for this endpoint's path. Never throws. */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const address = request.socket.remoteAddress ?? '';
    // First: a client connecting in a loop must cost one bucket lookup and a short answer.
    const retryAfter = this.connectionRate.tryTake(address);
    if (retryAfter !== null) {
      return this.refuse(request, socket, 429, 'Too many connection attempts', 'capacity', {
        'Retry-After': String(retryAfter),
      });
    }
    if (!this.ports.isAvailable()) {
      return this.refuse(request, socket, 503, 'Service Unavailable', 'unavailable');
    }
    const overLimit = this.limiter.tryAcquire(address);
    if (overLimit !== null) return this.refuse(request, socket, 503, overLimit, 'capacity');
    const upgrade: PendingUpgrade = { request, socket, address, released: false };
    const release = () => this.release(upgrade);
    // A client that hangs up sends a FIN: the HTTP server keeps such a socket half open, so 'close'
    // may never come while the checks run. Either ends the upgrade and gives its slot back.
    const hangUp = () => {
      release();
      socket.destroy();
    };
    this.pending.add(upgrade);
    socket.once('close', release);
    socket.once('end', hangUp);
    let accepted = false;
    try {
      const outcome = await this.checkWithin(request, this.options.handshakeTimeout);
      if (upgrade.released || socket.destroyed) return;
      if ('status' in outcome)
        return this.refuse(request, socket, outcome.status, outcome.reason, outcome.cause);
      // A verdict that arrives during shutdown must still answer: an unanswered socket would hold
      // the HTTP server's close (and the shutdown) open for as long as the client waits.
      if (!this.ports.isAvailable())
        return this.refuse(request, socket, 503, 'Service Unavailable', 'unavailable');
      // `ws` completes (or refuses: bad key, version) the handshake synchronously, so an upgrade
      // that did not reach accept by now never will, and its slot is given back below.
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        accepted = true;
        this.ports.accept(ws, request, socket, outcome.id, address, outcome.resume);
      });
    } catch (error) {
      this.logger.error(`upgrade failed: ${describeError(error)}`);
      this.refuse(request, socket, 500, 'Internal Server Error', 'error');
    } finally {
      this.pending.delete(upgrade);
      socket.removeListener('close', release);
      socket.removeListener('end', hangUp);
      if (!accepted) this.release(upgrade);
    }
  }

  /** Answers every upgrade still being checked with 503 and gives its slot back (shutdown). */
  abortPending(): void {
    for (const upgrade of [...this.pending]) {
      this.release(upgrade);
      this.refuse(upgrade.request, upgrade.socket, 503, 'Service Unavailable', 'unavailable');
    }
    this.pending.clear();
  }

  private release(upgrade: PendingUpgrade): void {
    if (upgrade.released) return;
    upgrade.released = true;
    this.limiter.release(upgrade.address);
  }

  private async checkWithin(
    request: IncomingMessage,
    timeout: number,
  ): Promise<Verdict | { id: string; resume: ResumeRequest | null }> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<Verdict>((resolve) => {
      timer = setTimeout(
        () => resolve({ status: 408, reason: 'Request Timeout', cause: 'timeout' }),
        timeout,
      );
      timer.unref();
    });
    try {
      return await Promise.race([this.check(request), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async check(
    request: IncomingMessage,
  ): Promise<Verdict | { id: string; resume: ResumeRequest | null }> {
    const verdict = await this.admit(request);
    if (verdict !== null) return verdict;
    const principal = (request as IncomingMessage & { principal?: unknown }).principal;
    const resume = (await this.ports.resume?.(request, ownerKey(principal))) ?? null;
    const id = resume?.ok ? resume.session.id : this.createId(request);
    if (id === null)
      return { status: 500, reason: 'Could not assign a connection id', cause: 'id' };
    return { id, resume };
  }

  /** Host, origin, authentication and guards; null when the upgrade may go on. */
  private async admit(request: IncomingMessage): Promise<Verdict | null> {
    if (!this.hostPolicy.accepts(request))
      return { status: 403, reason: 'Host not allowed', cause: 'origin' };
    const originAccepted = this.options.checkOrigin
      ? await this.options.checkOrigin(request)
      : this.originPolicy.accepts(request);
    if (originAccepted !== true)
      return { status: 403, reason: 'Origin not allowed', cause: 'origin' };
    const upgrade = request as IncomingMessage & { principal?: unknown; user?: unknown };
    if (this.options.authenticate !== undefined) {
      let principal: unknown;
      try {
        principal = await this.options.authenticate(request);
      } catch (error) {
        const status = httpStatusOf(error);
        if (status === undefined) throw error;
        return { status, reason: (error as Error).message || 'Unauthorized', cause: 'auth' };
      }
      if (principal === undefined || principal === null || principal === false) {
        return { status: 401, reason: 'Unauthorized', cause: 'auth' };
      }
      upgrade.principal = principal;
    }
    if (this.guards.length > 0) {
      const context = new HandshakeExecutionContext(request, UpgradeAdmission, this.handleUpgrade);
      for (const guard of this.guards) {
        let allowed: unknown;
        try {
          const result = guard.canActivate(context);
          allowed = isObservable(result) ? await lastValueFrom(result) : await result;
        } catch (error) {
          const status = httpStatusOf(error);
          if (status === undefined) throw error;
          return { status, reason: (error as Error).message || 'Forbidden', cause: 'guard' };
        }
        if (allowed !== true) return { status: 403, reason: 'Forbidden', cause: 'guard' };
      }
      if (upgrade.principal === undefined && upgrade.user !== undefined)
        upgrade.principal = upgrade.user;
    }
    return null;
  }

  private refuse(
    request: IncomingMessage,
    socket: Duplex,
    status: number,
    reason: string,
    cause: UpgradeRefusalReason,
    responseHeaders?: Readonly<Record<string, string>>,
  ): void {
    this.stats.upgradesRefused++;
    this.stats.upgradesRefusedByReason[cause]++;
    this.options.error(
      responseHeaders === undefined ? { request, socket } : { request, socket, responseHeaders },
      status,
      reason,
    );
  }

  private createId(request: IncomingMessage): string | null {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const id = this.options.idGenerator(request);
      if (
        typeof id === 'string' &&
        id.length > 0 &&
        this.options.isConnectionId(id) &&
        !this.ports.hasConnection(id)
      )
        return id;
    }
    this.logger.error(
      'idGenerator returned an empty, already used or unrecognised id (isConnectionId); upgrade refused',
    );
    return null;
  }
}
