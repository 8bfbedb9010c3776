import { NEST_WS_PARAM_PAYLOAD, NEST_WS_PARAM_SOCKET } from '../constants';
import { WS_ROOMS_PARAM_IS_BINARY } from './decorators/message-is-binary.decorator';
import { eventArguments, nativeArguments } from './handler-arguments';
import { WsParamsFactory } from './ws-params.factory';

describe('WsParamsFactory', () => {
  const factory = new WsParamsFactory();
  const connection = { id: 'conn-1' };

  it('uses the param types of @nestjs/websockets (socket 0, payload 3)', () => {
    expect(NEST_WS_PARAM_SOCKET).toBe(0);
    expect(NEST_WS_PARAM_PAYLOAD).toBe(3);
  });

  it('resolves @ConnectedSocket() to the connection', () => {
    expect(
      factory.exchangeKeyForValue(NEST_WS_PARAM_SOCKET, undefined, [connection, 'x', 'chat']),
    ).toBe(connection);
  });

  it('resolves @MessageBody() to the whole payload', () => {
    const payload = { text: 'hi' };
    expect(
      factory.exchangeKeyForValue(NEST_WS_PARAM_PAYLOAD, undefined, [connection, payload]),
    ).toBe(payload);
    expect(
      factory.exchangeKeyForValue(NEST_WS_PARAM_PAYLOAD, undefined, [connection, 'text']),
    ).toBe('text');
  });

  it('resolves @MessageBody(property) to that property of an object payload', () => {
    const payload = { text: 'hi', count: 2 };
    expect(factory.exchangeKeyForValue(NEST_WS_PARAM_PAYLOAD, 'text', [connection, payload])).toBe(
      'hi',
    );
    expect(
      factory.exchangeKeyForValue(NEST_WS_PARAM_PAYLOAD, 'missing', [connection, payload]),
    ).toBeUndefined();
  });

  it('resolves @MessageBody(index) on an array payload', () => {
    expect(factory.exchangeKeyForValue(NEST_WS_PARAM_PAYLOAD, 1, [connection, ['a', 'b']])).toBe(
      'b',
    );
  });

  it.each([
    ['a string', 'text'],
    ['a number', 42],
    ['null', null],
  ])('resolves @MessageBody(property) on %s payload to undefined', (_name, payload) => {
    expect(
      factory.exchangeKeyForValue(NEST_WS_PARAM_PAYLOAD, 'text', [connection, payload]),
    ).toBeUndefined();
  });

  it('resolves @MessageIsBinary() to the frame kind of a native message, false for an event', () => {
    const isBinary = (args: unknown[]) =>
      factory.exchangeKeyForValue(WS_ROOMS_PARAM_IS_BINARY, undefined, args);
    expect(isBinary(nativeArguments(connection, Buffer.from('x'), true))).toBe(true);
    expect(isBinary(nativeArguments(connection, Buffer.from('x'), false))).toBe(false);
    expect(isBinary(eventArguments(connection, true, 'chat'))).toBe(false);
  });

  it('resolves other param types to null', () => {
    expect(factory.exchangeKeyForValue(1, undefined, [connection, 'x'])).toBeNull();
    expect(factory.exchangeKeyForValue(2, 'text', [connection, { text: 'x' }])).toBeNull();
  });
});
