import { ProtocolClient } from '../support/protocol-client';
import { httpExchange } from '../support/raw-socket';
import { type RunningApp, startAppOn } from '../support/test-app';
import { type ParseResult, parseAsyncApi } from './asyncapi-parser';
import { fixtureModule } from './fixture-app';

// The document of a fixture app (two endpoints, five gateways' worth of handlers, DTOs validated by
// class-validator, requests both ways), checked by the real @asyncapi/parser, field by field, and
// against the running server: what it says travels on the wire does.

type Json = Record<string, any>;

describe('the generated AsyncAPI document', () => {
  let running: RunningApp;
  let text: string;
  let document: Json;
  let parsed: ParseResult;
  const clients: ProtocolClient[] = [];

  beforeAll(async () => {
    running = await startAppOn('express', { imports: [fixtureModule()] });
    const answer = await httpExchange(running.port, 'GET', '/asyncapi.json');
    expect(answer.status).toBe(200);
    text = answer.body;
    document = JSON.parse(text) as Json;
    parsed = await parseAsyncApi(text);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await running?.close();
  });

  it('parses with @asyncapi/parser without an error (other diagnostics are reported)', () => {
    const errors = parsed.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    expect(errors).toEqual([]);
    expect(parsed.parsed).toBe(true);
    const others = parsed.diagnostics.map(
      (d) => `${d.severity} ${d.code} at ${d.path}: ${d.message}`,
    );
    // Reported in the test output; today only "asyncapi-latest-version" (3.1.0 exists; we write 3.0.0).
    console.info(`@asyncapi/parser diagnostics:\n${others.join('\n') || '(none)'}`);
    expect(parsed.diagnostics.every((d) => d.code === 'asyncapi-latest-version')).toBe(true);
  });

  it('is one that the parser can fail: an operation message outside its channel is an error', async () => {
    const broken = JSON.parse(text) as Json;
    broken.operations['default.request.history'].messages.push({
      $ref: '#/channels/admin/messages/toServer.kick',
    });
    const result = await parseAsyncApi(JSON.stringify(broken));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({
        code: 'asyncapi3-operation-messages-from-referred-channel',
        path: 'operations/default.request.history/messages/1',
      }),
    ]);
  }, 240_000);

  it("refers, in every operation and reply, to messages of the operation's own channel", () => {
    // The parser checks operations' messages, not replies': checked here for both.
    const operations = Object.entries(document.operations as Record<string, Json>);
    expect(operations.length).toBeGreaterThan(20);
    for (const [id, operation] of operations) {
      const channel = operation.channel.$ref as string;
      const refs = [...operation.messages, ...(operation.reply?.messages ?? [])].map(
        (message: { $ref: string }) => message.$ref,
      );
      for (const ref of refs) {
        const key = ref.split('/').pop()!;
        expect(`${id} ${ref}`).toBe(`${id} ${channel}/messages/${key}`);
        expect(document.channels[channel.split('/').pop()!].messages[key]).toBeDefined();
      }
      if (operation.reply !== undefined) expect(operation.reply.channel.$ref).toBe(channel);
    }
  });

  it('has one server and one channel per endpoint, the channel at the endpoint path', () => {
    const model = parsed.model!;
    expect(model.title).toBe('Chat');
    expect(model.version).toBe('2.1.0');
    expect(model.servers.map(({ id, protocol }) => ({ id, protocol }))).toEqual([
      { id: 'default', protocol: 'ws' },
      { id: 'admin', protocol: 'wss' },
    ]);
    expect(model.channels.map(({ id, address, servers }) => ({ id, address, servers }))).toEqual([
      { id: 'default', address: '/chat', servers: ['default'] },
      { id: 'admin', address: '/admin', servers: ['admin'] },
    ]);
    expect(document.channels.default.bindings).toEqual({
      ws: expect.objectContaining({ method: 'GET', bindingVersion: '0.1.0' }),
    });
    // Recovery is on for /chat only: its query parameters are described there; the id's everywhere.
    expect(Object.keys(document.channels.default.bindings.ws.query.properties)).toEqual([
      'ws-rooms-identity',
      'ws-rooms-recovery',
      'ws-rooms-session',
      'ws-rooms-offset',
      'ws-rooms-id',
    ]);
    expect(Object.keys(document.channels.admin.bindings.ws.query.properties)).toEqual([
      'ws-rooms-identity',
    ]);
  });

  it('has an operation for each event clients may send, @OnEvent and @SubscribeMessage alike', () => {
    const operations = new Map(
      parsed.model!.operations.map((operation) => [operation.id, operation]),
    );
    for (const event of ['join', 'chat', 'history', 'typing', 'score', 'avatar', 'move', 'ping']) {
      expect(operations.get(`default.receive.${event}`)).toEqual(
        expect.objectContaining({
          action: 'receive',
          channels: ['default'],
          messages: [`toServer.${event}`],
        }),
      );
    }
    expect(operations.get('admin.receive.kick')?.messages).toEqual(['toServer.kick']);
    expect(operations.get('admin.native')).toEqual(
      expect.objectContaining({ action: 'receive', messages: ['native'] }),
    );
    expect(operations.has('default.native')).toBe(false);
    // A declared return type is the reply; a promise's is not known.
    expect(operations.get('default.receive.history')?.reply).toEqual(['toClient.history']);
    expect(operations.get('default.receive.join')?.reply).toBeNull();
  });

  it('has the requests and their replies as operations with a reply', () => {
    const operations = new Map(
      parsed.model!.operations.map((operation) => [operation.id, operation]),
    );
    expect(operations.get('default.request.history')).toEqual({
      id: 'default.request.history',
      action: 'receive',
      channels: ['default'],
      messages: ['requestToServer.history'],
      reply: ['replyToClient.history', 'ws-rooms.res.errorToClient'],
    });
    expect(operations.get('default.requestToClient.confirm')).toEqual(
      expect.objectContaining({
        action: 'send',
        messages: ['requestToClient.confirm'],
        reply: ['replyToServer.confirm', 'ws-rooms.res.errorToServer'],
      }),
    );
    expect(operations.get('default.request')?.reply).toEqual(['ws-rooms.res.errorToClient']);
    const messages = document.channels.default.messages;
    expect(messages['requestToServer.history'].payload).toEqual(
      expect.objectContaining({
        properties: expect.objectContaining({
          event: { type: 'string', const: 'history' },
          value: expect.objectContaining({
            allOf: [{ $ref: '#/components/schemas/HistoryQuery' }],
          }),
        }),
        required: ['id', 'event'],
      }),
    );
    expect(messages['replyToClient.history'].payload.properties.value.allOf).toEqual([
      { $ref: '#/components/schemas/HistoryPage' },
    ]);
    expect(messages['replyToClient.history'].correlationId).toEqual(
      expect.objectContaining({ location: '$message.payload#/id' }),
    );
    // Unhandled events' requests: every name but the handled ones, answered WS_ROOMS_NO_HANDLER.
    expect(messages['ws-rooms.req.toServer'].payload.properties.event.not.enum).toEqual([
      'join',
      'chat',
      'history',
      'typing',
      'score',
      'avatar',
      'move',
      'ping',
    ]);
  });

  it("describes a DTO's properties and required fields from its class-validator rules", () => {
    const schemas = parsed.model!.schemas;
    expect(schemas.ChatMessageDto).toEqual({
      type: 'object',
      required: ['room', 'text'],
      properties: {
        room: { type: 'string', minLength: 1, maxLength: 64 },
        text: { type: 'string', minLength: 1, maxLength: 500 },
        format: { type: null, minLength: null, maxLength: null },
        tags: { type: 'array', minLength: null, maxLength: null },
        replyTo: { type: 'object', minLength: null, maxLength: null },
      },
    });
    const raw = document.components.schemas;
    expect(raw.ChatMessageDto.properties.format).toEqual({ enum: ['plain', 'markdown'] });
    expect(raw.ChatMessageDto.properties.tags).toEqual({
      type: 'array',
      maxItems: 8,
      items: { type: 'string' },
    });
    expect(raw.ChatMessageDto.properties.replyTo).toEqual({ $ref: '#/components/schemas/RoomRef' });
    expect(raw.HistoryQuery).toEqual(
      expect.objectContaining({
        required: ['room'],
        properties: {
          room: { type: 'string', pattern: '^[a-z0-9-]+$' },
          limit: { type: 'integer', minimum: 1, maximum: 100 },
        },
      }),
    );
    expect(document.channels.default.messages['toServer.chat'].payload).toEqual({
      $ref: '#/components/schemas/ChatMessageDto',
    });
  });

  it('gives plain body types their schema and the type digits the server accepts', () => {
    const messages = document.channels.default.messages;
    const head = (key: string) => messages[key].headers.properties;
    expect(messages['toServer.join'].payload).toEqual({ type: 'string' });
    expect(head('toServer.join').type.enum).toEqual([0, 1, 2, 3, 4]);
    expect(messages['toServer.score'].payload).toEqual({ type: 'number' });
    expect(head('toServer.score').type.enum).toEqual([0, 1, 3, 4]);
    expect(messages['toServer.typing'].payload).toEqual({ type: 'boolean' });
    expect(messages['toServer.avatar'].payload).toEqual(
      expect.objectContaining({ type: 'string', format: 'binary' }),
    );
    expect(messages['toServer.avatar'].contentType).toBe('application/octet-stream');
    expect(messages['toServer.move'].payload).toEqual({
      type: 'object',
      properties: { x: { type: 'number' }, y: { type: 'number' } },
    });
    expect(messages['toServer.ping'].payload).toEqual({});
    expect(head('toServer.ping').event).toEqual({ type: 'string', const: 'ping' });
    expect(head('toServer.ping').prefix).toEqual({
      type: 'string',
      const: 'iris-websocket-message:',
    });
    expect(messages['toServer.join']['x-ws-rooms-frame']).toBe(
      'iris-websocket-message:join;0;<payload>',
    );
    // What the server sends back: digit from the value's type.
    expect(head('toClient.score').type.enum).toEqual([1, 4]);
    expect(head('toClient.history').type.enum).toEqual([4]);
  });

  it('lists every reserved event, and the error codes', () => {
    const names = (channel: string) =>
      Object.values(document.channels[channel].messages as Record<string, { name: string }>).map(
        (message) => message.name,
      );
    for (const channel of ['default', 'admin']) {
      for (const event of [
        'ws-rooms:error',
        'ws-rooms:req',
        'ws-rooms:res',
        'ws-rooms:presence',
        'ws-rooms:session',
        'ws-rooms:m',
      ]) {
        expect(names(channel)).toContain(event);
      }
    }
    const defaults = document.channels.default.messages;
    expect(defaults['ws-rooms.presence']['x-ws-rooms-enabled']).toBe(true);
    expect(document.channels.admin.messages['ws-rooms.presence']['x-ws-rooms-enabled']).toBe(false);
    expect(defaults['ws-rooms.m'].headers.properties.type.enum).toEqual([0]);
    expect(defaults['ws-rooms.error'].payload).toEqual({
      $ref: '#/components/schemas/WsRoomsError',
    });
    const codes = (document.components.schemas.WsRoomsErrorCode.anyOf as { const?: string }[])
      .map((entry) => entry.const)
      .filter((code) => code !== undefined);
    expect(codes).toEqual(
      expect.arrayContaining([
        'WS_ROOMS_BAD_REQUEST',
        'WS_ROOMS_PAYLOAD_CONVERSION',
        'WS_ROOMS_NO_HANDLER',
        'WS_ROOMS_RATE_LIMITED',
      ]),
    );
    expect(codes).not.toContain('WS_ROOMS_INVALID_OPTION');
    const operations = Object.keys(document.operations);
    expect(operations).toEqual(
      expect.arrayContaining(['default.presence', 'default.session', 'default.m', 'admin.error']),
    );
    expect(operations).not.toContain('admin.presence');
  });

  it('matches the wire: a frame and a request written from the document are answered as described', async () => {
    const client = await ProtocolClient.connect(running.wsUrl('/chat'));
    clients.push(client);
    const score = document.channels.default.messages['toServer.score'];
    const frame = (score['x-ws-rooms-frame'] as string).replace('<payload>', '21');
    client.sendRaw(frame);
    const answer = await client.nextEvent('score');
    expect(
      document.channels.default.messages['toClient.score'].headers.properties.type.enum,
    ).toContain(answer.type);
    expect(answer.payload).toBe('42');

    const request = document.channels.default.messages['requestToServer.history'];
    const requestFrame = (request['x-ws-rooms-frame'] as string).replace(
      '<payload>',
      JSON.stringify({ id: 7, event: 'history', value: { room: 'lobby', limit: 5 } }),
    );
    client.sendRaw(requestFrame);
    const reply = await client.nextEvent('ws-rooms:res');
    expect(reply.type).toBe(4);
    const body = JSON.parse(reply.payload!) as Json;
    expect(body).toEqual({ id: 7, value: { total: 0, messages: ['lobby'] } });
    const page = document.components.schemas.HistoryPage;
    expect(Object.keys(body.value).sort()).toEqual([...page.required].sort());
  });
});
