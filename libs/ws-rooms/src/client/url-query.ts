/**
 * Sets query parameters of a connection URL, keeping its other parameters (in order) and its
 * fragment: parameters named by `owns` are removed, then `parameters` (already encoded `name=value`
 * pairs) are appended. Pure string work, so that it runs in browsers and on relative URLs alike.
 */
export function withQueryParameters(
  url: string,
  owns: (name: string) => boolean,
  parameters: readonly string[],
): string {
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : url.slice(hashAt);
  const queryAt = beforeHash.indexOf('?');
  const path = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const kept =
    queryAt === -1
      ? []
      : beforeHash
          .slice(queryAt + 1)
          .split('&')
          .filter((part) => part.length > 0 && !owns(part.split('=', 1)[0]));
  return `${path}?${[...kept, ...parameters].join('&')}${hash}`;
}
