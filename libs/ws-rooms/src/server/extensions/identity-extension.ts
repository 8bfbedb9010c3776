import type { IncomingMessage } from 'node:http';
import type { Connection } from '../../connection/connection';
import { IDENTITY_QUERY_PARAMETER, ReservedEvent } from '../../protocol/protocol.constants';
import type { ServerExtension } from './server-extension';

const ASKED = `${IDENTITY_QUERY_PARAMETER}=1`;

/**
 * Tells a client its connection id when it asks (`ws-rooms-identity=1` in the upgrade URL's query):
 * `ws-rooms:identity` with `{ id }`, the connection's first message, before the connection hooks
 * run. The modern client asks when its recovery is off (with recovery, `ws-rooms:session` carries
 * the id), so that `client.id` is known in its first `onConnect`. The original Iris client never
 * asks, so it never sees an event it does not know.
 */
export class IdentityExtension implements ServerExtension {
  connected(connection: Connection, request: IncomingMessage): undefined {
    if (asksIdentity(request.url)) {
      connection.emit(ReservedEvent.Identity, { id: connection.id });
    }
    return undefined;
  }
}

/**
 * Whether an upgrade URL asks for the id: the parameter `ws-rooms-identity` with the value `1`. A
 * substring test first, so that the URLs of clients that do not ask are never parsed; the URL's
 * length is bounded by Node's HTTP parser (`maxHeaderSize`).
 */
export function asksIdentity(url: string | undefined): boolean {
  if (url === undefined || !url.includes(ASKED)) return false;
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  if (queryAt === -1) return false;
  return new URLSearchParams(beforeHash.slice(queryAt + 1)).get(IDENTITY_QUERY_PARAMETER) === '1';
}
