import { NEST_WS_PARAM_PAYLOAD, NEST_WS_PARAM_SOCKET } from '../constants';
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

  it('resolves other param types to null', () => {
    expect(factory.exchangeKeyForValue(1, undefined, [connection, 'x'])).toBeNull();
    expect(factory.exchangeKeyForValue(2, 'text', [connection, { text: 'x' }])).toBeNull();
  });
});
