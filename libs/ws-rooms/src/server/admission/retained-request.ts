import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { UpgradeRequestInfo } from '../../interfaces/ws-connection.interface';

/** Which headers a connection keeps: all (within the byte bound), none, or the named ones. */
export type RetainedHeaders = boolean | readonly string[];

/**
 * What a connection keeps of its upgrade request for its whole life: the method, the URL and the
 * headers, within `maxBytes` (names and values counted; a header that does not fit is left out,
 * whole). `authenticate`, `checkOrigin` and guards see the full request; a connection must not
 * hold tens of kilobytes of headers a client chose to send.
 */
export function retainUpgradeRequest(
  request: IncomingMessage,
  retained: RetainedHeaders,
  maxBytes: number,
): UpgradeRequestInfo | undefined {
  if (retained === false) return undefined;
  const url = request.url !== undefined && request.url.length <= maxBytes ? request.url : undefined;
  let budget = maxBytes - (url?.length ?? 0);
  const headers: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders;
  const names = retained === true ? Object.keys(request.headers) : retained;
  for (const name of names) {
    const value = request.headers[name];
    if (value === undefined) continue;
    const size = name.length + (Array.isArray(value) ? value.join(', ').length : value.length);
    if (size > budget) continue;
    budget -= size;
    headers[name] = value;
  }
  return { method: request.method, url, httpVersion: request.httpVersion, headers };
}
