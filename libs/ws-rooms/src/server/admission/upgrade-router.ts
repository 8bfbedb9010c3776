import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { writeHttpError } from '../../http/write-http-error';

/** What the router hands an upgrade to. */
export interface UpgradeTarget {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}

const routers = new WeakMap<Server, UpgradeRouter>();

/**
 * One `'upgrade'` listener per HTTP server, shared by every endpoint on it, routing by path. An
 * upgrade to a path no endpoint serves gets 404 — unless some other library listens for upgrades
 * on the same server too, in which case the request is theirs.
 */
export class UpgradeRouter {
  private readonly endpoints = new Map<string, UpgradeTarget>();

  private constructor(private readonly server: Server) {}

  /** The router of an HTTP server, created on first use. */
  static of(server: Server): UpgradeRouter {
    let router = routers.get(server);
    if (router === undefined) {
      router = new UpgradeRouter(server);
      routers.set(server, router);
    }
    return router;
  }

  /** Routes upgrades of `path` to `target`. */
  add(path: string, target: UpgradeTarget): void {
    if (this.endpoints.has(path)) {
      throw new Error(`ws-rooms: two endpoints on the same path "${path}"`);
    }
    if (this.endpoints.size === 0) this.server.on('upgrade', this.onUpgrade);
    this.endpoints.set(path, target);
  }

  /** Stops routing `path`; the listener is removed with the last endpoint. */
  remove(path: string): void {
    if (!this.endpoints.delete(path)) return;
    if (this.endpoints.size === 0) {
      this.server.off('upgrade', this.onUpgrade);
      routers.delete(this.server);
    }
  }

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // First thing: a reset during the handshake must never become an uncaught exception.
    socket.on('error', ignoreSocketError);
    const target = this.endpoints.get(pathOf(request.url));
    if (target !== undefined) {
      void target.handleUpgrade(request, socket, head);
      return;
    }
    if (this.server.listenerCount('upgrade') === 1) writeHttpError(socket, 404, 'Not Found');
  };
}

function ignoreSocketError(): void {}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
