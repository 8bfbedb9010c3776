import type { IncomingMessage } from 'node:http';
import { WsRoomsErrorCode } from '../errors/error-codes';
import type { RouteAdapter } from '../observability/http-response';
import type { DocumentEndpoint } from './asyncapi-document';
import { type AsyncApiSource, serveAsyncApi } from './asyncapi-route';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An HTTP adapter that records its routes and answers, as Express and Fastify are driven. */
class FakeAdapter {
  readonly routes = new Map<string, (request: unknown, response: Answer) => void>();

  get(path: string, handler: (request: unknown, response: Answer) => void): void {
    if (this.routes.has(path)) throw new Error(`duplicated route ${path}`);
    this.routes.set(path, handler);
  }

  setHeader(response: Answer, name: string, value: string): void {
    response.headers[name] = value;
  }

  reply(response: Answer, body: string, status: number): void {
    response.body = body;
    response.status = status;
  }

  request(path: string, host = 'localhost:3000'): Answer {
    const answer: Answer = { status: 0, headers: {}, body: '' };
    this.routes.get(path)!({ headers: { host } } as unknown as IncomingMessage, answer);
    return answer;
  }

  asRouteAdapter(): RouteAdapter {
    return this as unknown as RouteAdapter;
  }
}

function endpoint(name: string, host: string | undefined): DocumentEndpoint {
  return {
    name,
    path: `/${name}`,
    prefix: 'iris-websocket-message:',
    presence: false,
    recovery: false,
    handlers: [],
    serverEvents: {},
    requestsToClient: {},
    protocol: 'ws',
    host,
    allowedHosts: [],
  };
}

function source(
  name: string,
  host: string | undefined,
  title = 'Docs',
): AsyncApiSource & { describe: jest.Mock } {
  return {
    info: { title, version: '1.0.0', description: undefined },
    describe: jest.fn(() => endpoint(name, host)),
    trustedHost: (request: IncomingMessage) =>
      request.headers.host?.startsWith('localhost') ? request.headers.host : undefined,
  };
}

const logger = { error: jest.fn() };

describe('serveAsyncApi', () => {
  afterEach(() => logger.error.mockReset());

  it('builds the document once, whatever the number of requests, and only on the first', () => {
    const adapter = new FakeAdapter();
    const ws = source('ws', 'chat.example.com');
    serveAsyncApi(adapter.asRouteAdapter(), '/asyncapi.json', ws, logger, () => undefined);
    expect(ws.describe).not.toHaveBeenCalled();
    const answers = [1, 2, 3].map(() => adapter.request('/asyncapi.json'));
    expect(ws.describe).toHaveBeenCalledTimes(1);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(1);
    expect(answers[0].headers).toEqual({
      'Content-Type': 'application/json; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
    expect(JSON.parse(answers[0].body).servers.ws.host).toBe('chat.example.com');
  });

  it('shares one route and one document between endpoints of one path, and writes trusted hosts per request', () => {
    const adapter = new FakeAdapter();
    const first = source('ws', undefined);
    const second = source('admin', 'admin.example.com');
    serveAsyncApi(adapter.asRouteAdapter(), '/asyncapi.json', first, logger, () => undefined);
    serveAsyncApi(adapter.asRouteAdapter(), '/asyncapi.json', second, logger, () => undefined);
    expect([...adapter.routes.keys()]).toEqual(['/asyncapi.json']);
    const local = adapter.request('/asyncapi.json', 'localhost:3000');
    const other = adapter.request('/asyncapi.json', 'evil.example');
    expect(first.describe).toHaveBeenCalledTimes(1);
    expect(local.headers.Vary).toBe('Host');
    const localDocument = JSON.parse(local.body);
    const otherDocument = JSON.parse(other.body);
    expect(Object.keys(localDocument.channels)).toEqual(['ws', 'admin']);
    expect(localDocument.servers.ws).toEqual(
      expect.not.objectContaining({ variables: expect.anything() }),
    );
    expect(localDocument.servers.ws.host).toBe('localhost:3000');
    expect(localDocument.servers.ws.description).toContain('ws://localhost:3000/ws');
    expect(otherDocument.servers.ws.host).toBe('{host}');
    expect(otherDocument.servers.ws.variables.host).toBeDefined();
    expect(otherDocument.servers.admin.host).toBe('admin.example.com');
    // Everything but the one server is the same text.
    expect({ ...otherDocument, servers: {} }).toEqual({ ...localDocument, servers: {} });
  });

  it('refuses endpoints of one path that disagree on the info', () => {
    const adapter = new FakeAdapter();
    serveAsyncApi(adapter.asRouteAdapter(), '/asyncapi.json', source('a', 'x'), logger);
    expect(() =>
      serveAsyncApi(adapter.asRouteAdapter(), '/asyncapi.json', source('b', 'x', 'Other'), logger),
    ).toThrow(expect.objectContaining({ code: WsRoomsErrorCode.InvalidOption }));
  });

  it('answers 404 once no endpoint serves the path, and builds again for those left', () => {
    const adapter = new FakeAdapter();
    const a = source('a', 'x');
    const b = source('b', 'x');
    const stopA = serveAsyncApi(adapter.asRouteAdapter(), '/doc.json', a, logger, () => undefined);
    const stopB = serveAsyncApi(adapter.asRouteAdapter(), '/doc.json', b, logger, () => undefined);
    expect(Object.keys(JSON.parse(adapter.request('/doc.json').body).channels)).toEqual(['a', 'b']);
    stopA();
    expect(Object.keys(JSON.parse(adapter.request('/doc.json').body).channels)).toEqual(['b']);
    stopB();
    stopB();
    expect(adapter.request('/doc.json').status).toBe(404);
  });

  it('answers 500 when the document cannot be built, and logs it once', () => {
    const adapter = new FakeAdapter();
    const broken = source('ws', 'x');
    broken.describe.mockImplementation(() => {
      throw new Error('no metadata');
    });
    serveAsyncApi(adapter.asRouteAdapter(), '/asyncapi.json', broken, logger, () => undefined);
    expect(adapter.request('/asyncapi.json').status).toBe(500);
    expect(adapter.request('/asyncapi.json').status).toBe(500);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('no metadata'));
  });
});
