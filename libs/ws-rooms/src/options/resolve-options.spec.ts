import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { DEFAULT_PREFIX } from '../protocol/protocol.constants';
import { generateConnectionId } from '../server/admission/connection-id';
import { MemoryRoomStore } from '../store/memory-room-store';
import { DEFAULT_ENDPOINT_NAME, resolveOptions } from './resolve-options';
import type { WsRoomsOptions } from './ws-rooms-options.interface';

/** Lets a test pass what a JavaScript caller could pass. */
const untyped = (options: unknown): WsRoomsOptions => options as WsRoomsOptions;

function failureOf(input: string | WsRoomsOptions): WsRoomsError {
  try {
    resolveOptions(input);
  } catch (error) {
    expect(error).toBeInstanceOf(WsRoomsError);
    return error as WsRoomsError;
  }
  throw new Error('expected resolveOptions to throw');
}

describe('resolveOptions', () => {
  describe('defaults', () => {
    const resolved = resolveOptions({ endpoint: '/ws' });

    it.each([
      ['endpoint', '/ws'],
      ['name', 'default'],
      ['messagePrefix', 'iris-websocket-message:'],
      ['writeTimeout', 15_000],
      ['pongTimeout', 60_000],
      ['pingPeriod', 54_000],
      ['maxMessageSize', 65_536],
      ['maxBufferedBytes', 1_048_576],
      ['binaryMessages', false],
      ['readBufferSize', 0],
      ['writeBufferSize', 65_536],
      ['headers', true],
      ['checkOrigin', undefined],
      ['allowedOrigins', []],
      ['clientScriptPath', '/iris-ws.js'],
      ['closeTimeout', 5_000],
      ['onError', undefined],
      ['authenticate', undefined],
      ['handshakeGuards', []],
      ['maxConnections', 100_000],
      ['maxConnectionsPerAddress', 1000],
      ['maxMessageRate', 100],
      ['maxMessageBurst', 200],
      ['maxRoomsPerConnection', 100],
      ['maxEventNameLength', 128],
      ['maxJsonDepth', 32],
      ['perMessageDeflate', false],
      ['requestTimeout', 10_000],
      ['recovery', false],
      ['presence', false],
    ] as const)('%s is %p', (key, expected) => {
      expect(resolved[key]).toEqual(expected);
    });

    it('names the endpoint DEFAULT_ENDPOINT_NAME and uses DEFAULT_PREFIX', () => {
      expect(resolved.name).toBe(DEFAULT_ENDPOINT_NAME);
      expect(resolved.messagePrefix).toBe(DEFAULT_PREFIX);
    });

    it('generates ids with generateConnectionId', () => {
      expect(resolved.idGenerator).toBe(generateConnectionId);
    });

    it('keeps rooms in a MemoryRoomStore, a new one per endpoint', () => {
      expect(resolved.store).toBeInstanceOf(MemoryRoomStore);
      expect(resolveOptions({ endpoint: '/other' }).store).not.toBe(resolved.store);
    });

    it('answers a refused upgrade with the status and the reason as body', () => {
      const written: string[] = [];
      const socket = {
        writable: true,
        end: (text: string) => written.push(text),
        once: () => socket,
        destroy: () => socket,
      };
      resolved.error(
        { request: {} as IncomingMessage, socket: socket as unknown as Duplex },
        403,
        'Origin not allowed',
      );
      expect(written).toHaveLength(1);
      expect(written[0]).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(written[0].endsWith('\r\n\r\nOrigin not allowed')).toBe(true);
    });

    it('derives pingPeriod as 9/10 of a given pongTimeout, rounded down', () => {
      expect(resolveOptions({ endpoint: '/ws', pongTimeout: 1000 }).pingPeriod).toBe(900);
      expect(resolveOptions({ endpoint: '/ws', pongTimeout: 1001 }).pingPeriod).toBe(900);
    });

    it('treats null and undefined like an absent option', () => {
      const explicit = resolveOptions(
        untyped({ endpoint: '/ws', writeTimeout: undefined, maxMessageSize: null, headers: null }),
      );
      expect(explicit.writeTimeout).toBe(15_000);
      expect(explicit.maxMessageSize).toBe(65_536);
      expect(explicit.headers).toBe(true);
    });
  });

  describe('the string form', () => {
    it('is the endpoint path with every default', () => {
      // The store and the default error answer are new objects per call; everything else is equal.
      const { store: _store, error: _error, ...fromString } = resolveOptions('/chat');
      const {
        store: _store2,
        error: _error2,
        ...fromObject
      } = resolveOptions({ endpoint: '/chat' });
      expect(fromString.endpoint).toBe('/chat');
      expect(fromString).toEqual(fromObject);
    });

    it('is validated like the object form', () => {
      expect(failureOf('chat').message).toBe(
        'ws-rooms: invalid option: "endpoint" must start with "/", got "chat"',
      );
    });
  });

  describe('given values', () => {
    it('are kept, every one of them', () => {
      const given: WsRoomsOptions = {
        endpoint: '/ws',
        name: 'chat',
        messagePrefix: 'go-websocket-message:',
        writeTimeout: 1000,
        pongTimeout: 2000,
        pingPeriod: 500,
        maxMessageSize: 1024,
        maxBufferedBytes: 4096,
        binaryMessages: true,
        readBufferSize: 128,
        writeBufferSize: 256,
        headers: false,
        error: () => undefined,
        checkOrigin: () => true,
        allowedOrigins: ['https://example.com', '*'],
        idGenerator: () => 'id',
        isConnectionId: (name: string) => name === 'id',
        clientScriptPath: false,
        closeTimeout: 100,
        onError: () => undefined,
        store: new MemoryRoomStore(),
        authenticate: () => ({ user: 'ada' }),
        handshakeGuards: [{ canActivate: () => true }],
        maxConnections: 10,
        maxConnectionsPerAddress: 0,
        maxMessageRate: 0,
        maxMessageBurst: 5,
        maxRoomsPerConnection: 3,
        maxEventNameLength: 16,
        maxJsonDepth: 4,
        perMessageDeflate: true,
        requestTimeout: 50,
        recovery: { windowMs: 1000, maxMessages: 10 },
        presence: { rooms: ['lobby'], metadata: () => ({ name: 'x' }) },
      };
      const resolved = resolveOptions(given);
      // toMatchObject: options added later may resolve to more keys; every given value must stay.
      expect(resolved).toMatchObject(given as unknown as Record<string, unknown>);
      expect(resolved.store).toBe(given.store);
      expect(resolved.error).toBe(given.error);
    });

    it('accept an empty endpoint (the server is disabled)', () => {
      expect(resolveOptions('').endpoint).toBe('');
    });

    it('copy allowedOrigins and leave the input object alone', () => {
      const allowedOrigins = ['https://example.com'];
      const input: WsRoomsOptions = { endpoint: '/ws', allowedOrigins };
      const resolved = resolveOptions(input);
      allowedOrigins.push('https://late.example');
      expect(resolved.allowedOrigins).toEqual(['https://example.com']);
      expect(input).toEqual({ endpoint: '/ws', allowedOrigins });
    });
  });

  describe('recovery and presence', () => {
    it('fills in the recovery defaults for an empty object', () => {
      expect(resolveOptions({ endpoint: '/ws', recovery: {} }).recovery).toEqual({
        windowMs: 120_000,
        maxMessages: 1000,
        maxLogBytes: 16 * 1024 * 1024,
        maxSessions: 10_000,
        maxSessionBytes: 16 * 1024 * 1024,
        maxSessionsPerAddress: 8,
      });
    });

    it('turns recovery off with false', () => {
      expect(resolveOptions({ endpoint: '/ws', recovery: false }).recovery).toBe(false);
    });

    it('keeps a presence predicate and gives members empty metadata by default', () => {
      const rooms = (room: string): boolean => room.startsWith('game:');
      const presence = resolveOptions({ endpoint: '/ws', presence: { rooms } }).presence;
      expect(presence).not.toBe(false);
      if (presence === false) return;
      expect(presence.rooms).toBe(rooms);
      expect(presence.metadata({ id: 'a', principal: undefined })).toEqual({});
    });
  });

  describe('pingPeriod against pongTimeout', () => {
    it.each([
      [
        { pingPeriod: 1000, pongTimeout: 1000 },
        '"pingPeriod" (1000) must be less than "pongTimeout" (1000)',
      ],
      [
        { pingPeriod: 1500, pongTimeout: 1000 },
        '"pingPeriod" (1500) must be less than "pongTimeout" (1000)',
      ],
      [{ pingPeriod: 60_000 }, '"pingPeriod" (60000) must be less than "pongTimeout" (60000)'],
    ])('refuses %j', (values, message) => {
      const error = failureOf({ endpoint: '/ws', ...values });
      expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
      expect(error.message).toBe(`ws-rooms: invalid option: ${message}`);
    });

    it('accepts a pingPeriod just below pongTimeout', () => {
      expect(
        resolveOptions({ endpoint: '/ws', pingPeriod: 999, pongTimeout: 1000 }).pingPeriod,
      ).toBe(999);
    });
  });

  describe('validation errors', () => {
    it.each<[string, unknown, string]>([
      ['null options', null, 'options must be an object or an endpoint path'],
      ['a number instead of options', 42, 'options must be an object or an endpoint path'],
      ['no endpoint', {}, '"endpoint" must be a string (an empty string disables the server)'],
      [
        'a numeric endpoint',
        { endpoint: 5 },
        '"endpoint" must be a string (an empty string disables the server)',
      ],
      ['an endpoint without "/"', { endpoint: 'ws' }, '"endpoint" must start with "/", got "ws"'],
    ])('the whole input: %s', (_name, input, message) => {
      const error = failureOf(untyped(input));
      expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
      expect(error.message).toBe(`ws-rooms: invalid option: ${message}`);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['pongTimeout 0', { pongTimeout: 0 }, '"pongTimeout" must be a positive integer, got 0'],
      [
        'a negative pongTimeout',
        { pongTimeout: -1 },
        '"pongTimeout" must be a positive integer, got -1',
      ],
      [
        'a fractional pongTimeout',
        { pongTimeout: 1.5 },
        '"pongTimeout" must be a positive integer, got 1.5',
      ],
      [
        'a string pongTimeout',
        { pongTimeout: '100' },
        '"pongTimeout" must be a positive integer, got "100"',
      ],
      ['pingPeriod 0', { pingPeriod: 0 }, '"pingPeriod" must be a positive integer, got 0'],
      [
        'an empty messagePrefix',
        { messagePrefix: '' },
        '"messagePrefix" must be a non-empty string',
      ],
      [
        'a numeric messagePrefix',
        { messagePrefix: 1 },
        '"messagePrefix" must be a non-empty string',
      ],
      ['an empty prefix (deprecated)', { prefix: '' }, '"prefix" must be a non-empty string'],
      ['an empty name', { name: '' }, '"name" must be a non-empty string'],
      ['a numeric name', { name: 7 }, '"name" must be a non-empty string'],
      [
        'a relative clientScriptPath',
        { clientScriptPath: 'iris-ws.js' },
        '"clientScriptPath" must be a path starting with "/" or false, got "iris-ws.js"',
      ],
      [
        'clientScriptPath true',
        { clientScriptPath: true },
        '"clientScriptPath" must be a path starting with "/" or false, got true',
      ],
      [
        'allowedOrigins as a string',
        { allowedOrigins: 'https://example.com' },
        '"allowedOrigins" must be an array of origins',
      ],
      [
        'an allowed origin with a path',
        { allowedOrigins: ['https://example.com/app'] },
        '"allowedOrigins" entry "https://example.com/app" is not an origin (scheme://host[:port])',
      ],
      [
        'the "null" origin in allowedOrigins',
        { allowedOrigins: ['null'] },
        '"allowedOrigins" entry "null" is not an origin (scheme://host[:port])',
      ],
      [
        'a host without a scheme in allowedOrigins',
        { allowedOrigins: ['example.com'] },
        '"allowedOrigins" entry "example.com" is not an origin (scheme://host[:port])',
      ],
      [
        'a wildcard pattern in allowedOrigins (exact origins only)',
        { allowedOrigins: ['https://*.example.com'] },
        '"allowedOrigins" entry "https://*.example.com" is not an origin (scheme://host[:port])',
      ],
      ['a store without publish', { store: {} }, '"store" must implement RoomStore'],
      ['a null store', { store: null }, '"store" must implement RoomStore'],
      ['a string store', { store: 'redis' }, '"store" must implement RoomStore'],
      [
        'a checkOrigin that is not a function',
        { checkOrigin: true },
        '"checkOrigin" must be a function',
      ],
      [
        'an idGenerator that is not a function',
        { idGenerator: 'uuid' },
        '"idGenerator" must be a function',
      ],
      ['an error option that is not a function', { error: {} }, '"error" must be a function'],
      ['an onError that is not a function', { onError: 1 }, '"onError" must be a function'],
      ['writeTimeout 0', { writeTimeout: 0 }, '"writeTimeout" must be a positive integer, got 0'],
      [
        'a negative maxMessageSize',
        { maxMessageSize: -1 },
        '"maxMessageSize" must be a positive integer, got -1',
      ],
      [
        'a fractional maxBufferedBytes',
        { maxBufferedBytes: 1.5 },
        '"maxBufferedBytes" must be a positive integer, got 1.5',
      ],
      [
        'writeBufferSize 0',
        { writeBufferSize: 0 },
        '"writeBufferSize" must be a positive integer, got 0',
      ],
      ['closeTimeout 0', { closeTimeout: 0 }, '"closeTimeout" must be a positive integer, got 0'],
      [
        'a negative readBufferSize',
        { readBufferSize: -1 },
        '"readBufferSize" must be a non-negative integer, got -1',
      ],
      [
        'a string binaryMessages',
        { binaryMessages: 'yes' },
        '"binaryMessages" must be a boolean, got "yes"',
      ],
      [
        'a numeric headers',
        { headers: 1 },
        '"headers" must be a boolean or an array of header names',
      ],
      [
        'handshakeGuards that are not an array',
        { handshakeGuards: { canActivate: () => true } },
        '"handshakeGuards" must be an array of guards',
      ],
      [
        'an authenticate that is not a function',
        { authenticate: 'jwt' },
        '"authenticate" must be a function',
      ],
      [
        'maxConnections 0',
        { maxConnections: 0 },
        '"maxConnections" must be a positive integer, got 0',
      ],
      [
        'a negative maxConnectionsPerAddress',
        { maxConnectionsPerAddress: -1 },
        '"maxConnectionsPerAddress" must be a non-negative integer, got -1',
      ],
      [
        'a fractional maxMessageRate',
        { maxMessageRate: 0.5 },
        '"maxMessageRate" must be a non-negative integer, got 0.5',
      ],
      [
        'maxMessageBurst 0',
        { maxMessageBurst: 0 },
        '"maxMessageBurst" must be a positive integer, got 0',
      ],
      [
        'maxRoomsPerConnection 0',
        { maxRoomsPerConnection: 0 },
        '"maxRoomsPerConnection" must be a positive integer, got 0',
      ],
      [
        'maxEventNameLength 0',
        { maxEventNameLength: 0 },
        '"maxEventNameLength" must be a positive integer, got 0',
      ],
      ['maxJsonDepth 0', { maxJsonDepth: 0 }, '"maxJsonDepth" must be a positive integer, got 0'],
      [
        'a string perMessageDeflate',
        { perMessageDeflate: 'on' },
        '"perMessageDeflate" must be a boolean, got "on"',
      ],
      [
        'requestTimeout 0',
        { requestTimeout: 0 },
        '"requestTimeout" must be a positive integer, got 0',
      ],
      ['recovery true', { recovery: true }, '"recovery" must be false or an object'],
      ['a null recovery', { recovery: null }, '"recovery" must be false or an object'],
      [
        'recovery.windowMs 0',
        { recovery: { windowMs: 0 } },
        '"recovery.windowMs" must be a positive integer, got 0',
      ],
      [
        'a fractional recovery.maxMessages',
        { recovery: { maxMessages: 1.5 } },
        '"recovery.maxMessages" must be a positive integer, got 1.5',
      ],
      ['presence true', { presence: true }, '"presence" must be false or an object'],
      [
        'presence without rooms',
        { presence: {} },
        '"presence.rooms" must be an array of room names or a predicate',
      ],
      [
        'a presence.metadata that is not a function',
        { presence: { rooms: [], metadata: {} } },
        '"presence.metadata" must be a function',
      ],
    ])('an option: %s', (_name, values, message) => {
      const error = failureOf(untyped({ endpoint: '/ws', ...values }));
      expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
      expect(error.message).toBe(`ws-rooms: invalid option: ${message}`);
    });

    it('accepts 0 where it disables a limit, and the "*" origin', () => {
      const resolved = resolveOptions({
        endpoint: '/ws',
        readBufferSize: 0,
        maxConnectionsPerAddress: 0,
        maxMessageRate: 0,
        allowedOrigins: ['*'],
      });
      expect(resolved.readBufferSize).toBe(0);
      expect(resolved.maxConnectionsPerAddress).toBe(0);
      expect(resolved.maxMessageRate).toBe(0);
      expect(resolved.allowedOrigins).toEqual(['*']);
    });
  });
});
