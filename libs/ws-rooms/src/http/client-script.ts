import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AbstractHttpAdapter } from '@nestjs/core';

/** Where the build puts the browser script (`npm run build:client`). */
export const CLIENT_SCRIPT_FILE = join(__dirname, '..', '..', 'assets', 'iris-ws.js');

interface LoadedScript {
  readonly body: string;
  readonly etag: string;
  readonly lastModified: string;
}

let cached: LoadedScript | undefined;

/** Reads the built client script once. @throws Error naming the build command when it is missing. */
export function loadClientScript(file: string = CLIENT_SCRIPT_FILE): LoadedScript {
  if (cached !== undefined && file === CLIENT_SCRIPT_FILE) return cached;
  let body: string;
  let modified: Date;
  try {
    body = readFileSync(file, 'utf8');
    modified = statSync(file).mtime;
  } catch {
    throw new Error(
      `ws-rooms: the browser client script ${file} is missing; build it with "npm run build:client"`,
    );
  }
  const script: LoadedScript = {
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    lastModified: modified.toUTCString(),
  };
  if (file === CLIENT_SCRIPT_FILE) cached = script;
  return script;
}

interface RequestLike {
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * Serves the client script at `path` (GET and HEAD) through the app's HTTP adapter, so it works on
 * Express and Fastify alike, with `ETag` and `Last-Modified` validators and 304 answers.
 */
export function serveClientScript(adapter: AbstractHttpAdapter, path: string): void {
  const script = loadClientScript();
  adapter.get(path, (request: RequestLike, response: unknown) => {
    adapter.setHeader(response, 'Content-Type', 'application/javascript; charset=utf-8');
    adapter.setHeader(response, 'Cache-Control', 'no-cache');
    adapter.setHeader(response, 'ETag', script.etag);
    adapter.setHeader(response, 'Last-Modified', script.lastModified);
    const ifNoneMatch = request.headers['if-none-match'];
    const ifModifiedSince = request.headers['if-modified-since'];
    const fresh =
      ifNoneMatch !== undefined
        ? String(ifNoneMatch)
            .split(',')
            .some((tag) => tag.trim() === script.etag || tag.trim() === '*')
        : ifModifiedSince !== undefined &&
          Date.parse(String(ifModifiedSince)) >= Date.parse(script.lastModified);
    if (fresh) {
      // Through reply(), not end(): Fastify's end() writes to the raw response and drops the headers.
      adapter.reply(response, undefined, 304);
      return;
    }
    adapter.reply(response, script.body, 200);
  });
}
