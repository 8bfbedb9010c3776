import { WsRoomsErrorCode } from '../errors/error-codes';
import { resolveOptions } from '../options/resolve-options';
import type { WsRoomsOptions } from '../options/ws-rooms-options.interface';
import { DEFAULT_ASYNCAPI_PATH } from './asyncapi-options';

function asyncapiOf(options: Partial<WsRoomsOptions>) {
  return resolveOptions({ endpoint: '/ws', ...options }).asyncapi;
}

function invalid(options: Partial<WsRoomsOptions>, message: RegExp): void {
  expect(() => resolveOptions({ endpoint: '/ws', ...options })).toThrow(
    expect.objectContaining({
      code: WsRoomsErrorCode.InvalidOption,
      message: expect.stringMatching(message),
    }),
  );
}

class SaidDto {}

describe('the asyncapi option', () => {
  it('is off by default and with false', () => {
    expect(asyncapiOf({})).toBe(false);
    expect(asyncapiOf({ asyncapi: false })).toBe(false);
  });

  it('has documented defaults', () => {
    expect(asyncapiOf({ asyncapi: {} })).toEqual({
      path: DEFAULT_ASYNCAPI_PATH,
      title: 'ws-rooms',
      version: '1.0.0',
      description: undefined,
      host: undefined,
      protocol: 'ws',
      serverEvents: {},
      requestsToClient: {},
    });
    expect(DEFAULT_ASYNCAPI_PATH).toBe('/asyncapi.json');
  });

  it('normalizes the host and keeps declarations', () => {
    const resolved = asyncapiOf({
      asyncapi: {
        host: 'Chat.Example.COM:0443',
        protocol: 'wss',
        serverEvents: { said: SaidDto, members: Number, raw: { type: 'string' } },
        requestsToClient: { confirm: { value: String, reply: Boolean } },
      },
    });
    expect(resolved).toEqual(
      expect.objectContaining({
        host: 'chat.example.com:443',
        protocol: 'wss',
        serverEvents: { said: SaidDto, members: Number, raw: { type: 'string' } },
        requestsToClient: { confirm: { value: String, reply: Boolean } },
      }),
    );
  });

  it('refuses a path that is not plain segments', () => {
    invalid({ asyncapi: { path: 'asyncapi.json' } }, /"asyncapi.path" must be a path/);
    invalid({ asyncapi: { path: '/docs/:id' } }, /"asyncapi.path" must be a path/);
    invalid({ asyncapi: { path: '/docs/' } }, /"asyncapi.path" must be a path/);
  });

  it('refuses a path the endpoint already serves', () => {
    invalid({ asyncapi: { path: '/ws' } }, /already used/);
    invalid({ asyncapi: { path: '/iris-ws.js' } }, /already used/);
    invalid({ metrics: {}, asyncapi: { path: '/metrics' } }, /already used/);
    invalid({ dashboard: {}, asyncapi: { path: '/ws-rooms/dashboard' } }, /already used/);
    invalid({ dashboard: { path: '/dash' }, asyncapi: { path: '/dash/ws' } }, /already used/);
    // The same path is fine once the client script or the metrics are elsewhere.
    expect(asyncapiOf({ clientScriptPath: false, asyncapi: { path: '/iris-ws.js' } })).toEqual(
      expect.objectContaining({ path: '/iris-ws.js' }),
    );
  });

  it('needs an enabled endpoint', () => {
    invalid({ endpoint: '', asyncapi: {} }, /needs an enabled endpoint/);
  });

  it('refuses what is not a host, a protocol or a text', () => {
    invalid({ asyncapi: { host: 'https://chat.example.com' } }, /"asyncapi.host"/);
    invalid({ asyncapi: { host: 'chat.example.com:99999' } }, /"asyncapi.host"/);
    invalid({ asyncapi: { protocol: 'http' as 'ws' } }, /"asyncapi.protocol"/);
    invalid({ asyncapi: { title: '' } }, /"asyncapi.title"/);
    invalid({ asyncapi: { version: 2 as unknown as string } }, /"asyncapi.version"/);
    invalid({ asyncapi: 'yes' as unknown as false }, /"asyncapi" must be false or an object/);
  });

  it('refuses event names an application cannot use, and payloads that are no type', () => {
    invalid(
      { asyncapi: { serverEvents: { 'ws-rooms:error': String } } },
      /"asyncapi.serverEvents"/,
    );
    invalid({ asyncapi: { serverEvents: { 'a;b': String } } }, /"asyncapi.serverEvents"/);
    invalid({ asyncapi: { serverEvents: { '': String } } }, /"asyncapi.serverEvents"/);
    invalid(
      { asyncapi: { serverEvents: { said: 'string' as unknown as typeof String } } },
      /serverEvents\["said"\]" must be a class/,
    );
    invalid(
      { asyncapi: { requestsToClient: { confirm: null as unknown as { value: typeof String } } } },
      /requestsToClient\["confirm"\]" must be an object/,
    );
    invalid(
      { asyncapi: { requestsToClient: { confirm: { reply: [] as unknown as typeof String } } } },
      /requestsToClient\["confirm"\].reply" must be a class/,
    );
  });
});
