import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { StreamableFile } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { chooseContentCoding, type ContentCoding } from './accept-encoding';

/** Where the build puts the browser script (`npm run build:client`). */
export const CLIENT_SCRIPT_FILE = join(__dirname, '..', '..', 'assets', 'iris-ws.js');

/**
 * `Cache-Control` of the script. Browsers keep it and revalidate it on every use, which costs a 304
 * without a body: its URL carries no version, and a page must not run an older client than the
 * server it talks to (a `max-age` would keep the old one for that long after a deploy).
 */
export const CLIENT_SCRIPT_CACHE_CONTROL = 'no-cache';

/** One encoding of the script, ready to send. */
export interface ClientScriptBody {
  /** `Content-Encoding` of the body (`identity`: none). */
  readonly coding: ContentCoding;
  readonly bytes: Buffer;
  /** A strong entity tag of these bytes: each encoding has its own. */
  readonly etag: string;
}

/** The script, read and compressed once, by encoding. */
export interface ClientScript {
  readonly bodies: Readonly<Record<ContentCoding, ClientScriptBody>>;
  /** The file's modification time, as an HTTP date. */
  readonly lastModified: string;
}

let cached: ClientScript | undefined;

/**
 * Reads the built client script and compresses it with brotli and gzip at their highest levels,
 * once: the script served by the app is read on the first call only, every answer then sends
 * bytes computed here.
 * @throws Error naming the build command when the file is missing.
 */
export function loadClientScript(file: string = CLIENT_SCRIPT_FILE): ClientScript {
  if (cached !== undefined && file === CLIENT_SCRIPT_FILE) return cached;
  let bytes: Buffer;
  let modified: Date;
  try {
    bytes = readFileSync(file);
    modified = statSync(file).mtime;
  } catch {
    throw new Error(
      `ws-rooms: the browser client script ${file} is missing; build it with "npm run build:client"`,
    );
  }
  const script: ClientScript = {
    bodies: {
      identity: body('identity', bytes),
      gzip: body('gzip', gzipSync(bytes, { level: zlib.Z_BEST_COMPRESSION })),
      br: body(
        'br',
        brotliCompressSync(bytes, {
          params: {
            [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
            [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
            [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
          },
        }),
      ),
    },
    lastModified: modified.toUTCString(),
  };
  if (file === CLIENT_SCRIPT_FILE) cached = script;
  return script;
}

function body(coding: ContentCoding, bytes: Buffer): ClientScriptBody {
  const hash = createHash('sha256').update(bytes).digest('base64url').slice(0, 27);
  return { coding, bytes, etag: `"${hash}"` };
}

/** The request headers an adapter's request object carries (Express and Fastify alike). */
interface RequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Whether the client's copy is current: `If-None-Match` names this body's tag (weak comparison, as
 * RFC 9110 section 13.1.2 asks) or is `*`; without it, `If-Modified-Since` is not before the file's
 * modification time.
 */
function isFresh(request: RequestLike, sent: ClientScriptBody, lastModified: string): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const tags = (typeof ifNoneMatch === 'string' ? ifNoneMatch : ifNoneMatch.join(',')).split(',');
    return tags.some((tag) => {
      const trimmed = tag.trim();
      return trimmed === '*' || trimmed === sent.etag || trimmed === `W/${sent.etag}`;
    });
  }
  const ifModifiedSince = request.headers['if-modified-since'];
  return (
    typeof ifModifiedSince === 'string' && Date.parse(ifModifiedSince) >= Date.parse(lastModified)
  );
}

/**
 * Serves the client script at `path` (GET and HEAD) through the app's HTTP adapter, so it works on
 * Express and Fastify alike: brotli, gzip or the plain file as `Accept-Encoding` asks (bodies
 * compressed once, here), `Vary: Accept-Encoding`, a strong `ETag` per encoding, `Last-Modified`,
 * {@link CLIENT_SCRIPT_CACHE_CONTROL}, and 304 answers to a current copy.
 * @throws Error naming the build command when the script was not built.
 */
export function serveClientScript(adapter: AbstractHttpAdapter, path: string): void {
  const script = loadClientScript();
  adapter.get(path, (request: RequestLike, response: unknown) => {
    const sent = script.bodies[chooseContentCoding(request.headers['accept-encoding'])];
    adapter.setHeader(response, 'Content-Type', 'application/javascript; charset=utf-8');
    adapter.setHeader(response, 'X-Content-Type-Options', 'nosniff');
    adapter.setHeader(response, 'Cache-Control', CLIENT_SCRIPT_CACHE_CONTROL);
    adapter.appendHeader(response, 'Vary', 'Accept-Encoding');
    adapter.setHeader(response, 'ETag', sent.etag);
    adapter.setHeader(response, 'Last-Modified', script.lastModified);
    if (isFresh(request, sent, script.lastModified)) {
      // Through reply(), not end(): Fastify's end() writes to the raw response and drops the headers.
      adapter.reply(response, undefined, 304);
      return;
    }
    if (sent.coding !== 'identity') adapter.setHeader(response, 'Content-Encoding', sent.coding);
    // A StreamableFile is how both adapters send bytes as they are, with their Content-Length, and
    // without a body for HEAD.
    adapter.reply(response, new StreamableFile(sent.bytes), 200);
  });
}
