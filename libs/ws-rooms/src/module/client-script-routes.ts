import type { AbstractHttpAdapter } from '@nestjs/core';
import { serveClientScript } from '../http/client-script';

/** Paths at which each app's HTTP adapter already serves the client script. */
const routed = new WeakMap<AbstractHttpAdapter, Set<string>>();

/**
 * Serves the browser client script at `path` unless the app already serves it there. Every endpoint
 * of an app names a script path (`/iris-ws.js` by default), and several endpoints usually name the
 * same one: Express would keep the first route and ignore the others, Fastify refuses a second route
 * for a path (`FST_ERR_DUPLICATED_ROUTE`), so the route is registered once per adapter and path.
 * The script is the same file for every endpoint, so the one route serves them all.
 * @returns true when this call registered the route.
 */
export function serveClientScriptOnce(adapter: AbstractHttpAdapter, path: string): boolean {
  let paths = routed.get(adapter);
  if (paths === undefined) {
    paths = new Set();
    routed.set(adapter, paths);
  }
  if (paths.has(path)) return false;
  serveClientScript(adapter, path);
  paths.add(path);
  return true;
}
