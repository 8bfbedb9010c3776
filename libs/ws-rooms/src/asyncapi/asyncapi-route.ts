import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { incomingMessageOf, type RouteAdapter, replyText } from '../observability/http-response';
import { describeError } from '../util/describe-error';
import {
  buildAsyncApiDocument,
  type DocumentEndpoint,
  type DocumentInfo,
  withServerHost,
} from './asyncapi-document';
import type { AsyncApiDocument, AsyncApiServer } from './asyncapi-document.types';
import { loadValidationRules, type ValidationRulesOf } from './class-validator-metadata';

/** What one endpoint gives the document served at its `asyncapi.path`. */
export interface AsyncApiSource {
  readonly info: DocumentInfo;
  /** The endpoint as the document describes it; called once, when the document is first built. */
  describe(): DocumentEndpoint;
  /**
   * The request's `Host` (lower case, `name[:port]`) when the endpoint trusts it to be written as its
   * server's host, else undefined. Not called when the host is configured.
   */
  trustedHost(request: IncomingMessage): string | undefined;
}

/** What the route needs to log. */
export interface AsyncApiLogger {
  error(message: string): void;
}

/** Every document by HTTP adapter, then by path: endpoints that name the same path share one. */
const documents = new WeakMap<object, Map<string, SharedDocument>>();

/**
 * Serves the AsyncAPI document of `source`'s endpoint at `path` (GET and HEAD, `application/json`)
 * through the app's HTTP adapter, Express and Fastify alike. Endpoints naming the same path share
 * one document, one channel each. The document is built on the first request, once, and its JSON
 * text kept; only a server host taken from the request is written per request. Returns the
 * function that takes the endpoint out of the document (the route stays: routes cannot be removed).
 * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION` when endpoints sharing the path disagree on the
 *   title, the version or the description.
 */
export function serveAsyncApi(
  adapter: RouteAdapter,
  path: string,
  source: AsyncApiSource,
  logger: AsyncApiLogger,
  loadRules: () => ValidationRulesOf | undefined = loadValidationRules,
): () => void {
  let byPath = documents.get(adapter);
  if (byPath === undefined) {
    byPath = new Map();
    documents.set(adapter, byPath);
  }
  let shared = byPath.get(path);
  if (shared === undefined) {
    shared = new SharedDocument(source.info, loadRules);
    byPath.set(path, shared);
    route(adapter, path, shared, logger);
  } else if (!sameInfo(shared.info, source.info)) {
    throw new WsRoomsError(
      WsRoomsErrorCode.InvalidOption,
      `ws-rooms: invalid option: endpoints serving the AsyncAPI document at ${path} must give the same "asyncapi.title", "asyncapi.version" and "asyncapi.description"`,
    );
  }
  shared.add(source);
  const document = shared;
  return () => document.remove(source);
}

function route(
  adapter: RouteAdapter,
  path: string,
  shared: SharedDocument,
  logger: AsyncApiLogger,
): void {
  let failureLogged = false;
  adapter.get(path, (request: unknown, response: unknown) => {
    let rendered: { body: string; varies: boolean } | undefined;
    try {
      rendered = shared.render(incomingMessageOf(request));
    } catch (error) {
      // Once: every request would fail the same way.
      if (!failureLogged) {
        failureLogged = true;
        logger.error(`the AsyncAPI document could not be built: ${describeError(error)}`);
      }
      replyText(adapter, response, 500, 'text/plain; charset=utf-8', 'AsyncAPI document failed');
      return;
    }
    if (rendered === undefined) {
      replyText(adapter, response, 404, 'text/plain; charset=utf-8', 'Not Found');
      return;
    }
    replyText(adapter, response, 200, 'application/json; charset=utf-8', rendered.body, {
      'Cache-Control': 'no-cache',
      ...(rendered.varies ? { Vary: 'Host' } : {}),
    });
  });
}

/** The document of the endpoints at one path: built once, kept as JSON text. */
class SharedDocument {
  private readonly sources: AsyncApiSource[] = [];
  private template: DocumentTemplate | undefined;

  constructor(
    readonly info: DocumentInfo,
    private readonly loadRules: () => ValidationRulesOf | undefined,
  ) {}

  add(source: AsyncApiSource): void {
    this.sources.push(source);
    this.template = undefined;
  }

  remove(source: AsyncApiSource): void {
    const index = this.sources.indexOf(source);
    if (index === -1) return;
    this.sources.splice(index, 1);
    this.template = undefined;
  }

  /** The document's text for a request; undefined once no endpoint serves it. */
  render(request: IncomingMessage): { body: string; varies: boolean } | undefined {
    if (this.sources.length === 0) return undefined;
    this.template ??= new DocumentTemplate(this.sources, this.info, this.loadRules());
    return this.template.render(request);
  }
}

/**
 * The document's JSON text, cut where a server's host comes from the request: everything else is
 * serialized once.
 */
class DocumentTemplate {
  /** Text pieces; between two pieces, the server of `slots[i]`. */
  private readonly pieces: string[];
  private readonly slots: ServerSlot[] = [];

  constructor(
    sources: readonly AsyncApiSource[],
    info: DocumentInfo,
    rules: ValidationRulesOf | undefined,
  ) {
    const endpoints = sources.map((source) => source.describe());
    const document: AsyncApiDocument = buildAsyncApiDocument(info, endpoints, rules);
    const servers: Record<string, AsyncApiServer | string> = { ...document.servers };
    const token = randomBytes(9).toString('hex');
    const keys = Object.keys(document.servers);
    endpoints.forEach((endpoint, index) => {
      if (endpoint.host !== undefined) return;
      const key = keys[index];
      const server = document.servers[key];
      const marker = `@@ws-rooms-server-${index}-${token}@@`;
      servers[key] = marker;
      this.slots.push({
        source: sources[index],
        server,
        asIs: JSON.stringify(server),
        marker: JSON.stringify(marker),
      });
    });
    // Object keys keep their order, so the markers appear in the order of the slots.
    let text = JSON.stringify({ ...document, servers });
    this.pieces = [];
    for (const { marker } of this.slots) {
      const at = text.indexOf(marker);
      this.pieces.push(text.slice(0, at));
      text = text.slice(at + marker.length);
    }
    this.pieces.push(text);
  }

  render(request: IncomingMessage): { body: string; varies: boolean } {
    if (this.slots.length === 0) return { body: this.pieces[0], varies: false };
    let body = this.pieces[0];
    this.slots.forEach((slot, index) => {
      const host = slot.source.trustedHost(request);
      body += host === undefined ? slot.asIs : JSON.stringify(withServerHost(slot.server, host));
      body += this.pieces[index + 1];
    });
    return { body, varies: true };
  }
}

/** A server whose host is written per request. */
interface ServerSlot {
  readonly source: AsyncApiSource;
  /** The server with the variable `{host}`. */
  readonly server: AsyncApiServer;
  /** `server` as JSON, for requests whose host is not trusted. */
  readonly asIs: string;
  /** The quoted marker that stands for the server in the serialized document. */
  readonly marker: string;
}

function sameInfo(a: DocumentInfo, b: DocumentInfo): boolean {
  return a.title === b.title && a.version === b.version && a.description === b.description;
}
