import { WsRoomsClientError, WsRoomsClientErrorCode, WsRoomsServerError } from './client-errors';

describe('client errors', () => {
  it('WsRoomsClientError carries a stable code and details', () => {
    const cause = new Error('root');
    const error = new WsRoomsClientError(WsRoomsClientErrorCode.HandshakeRefused, 'refused', {
      cause,
      status: 403,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'WsRoomsClientError',
      code: 'WS_ROOMS_CLIENT_HANDSHAKE_REFUSED',
      message: 'refused',
      status: 403,
      cause,
    });
  });

  it('shares the protocol codes with the server', () => {
    expect(WsRoomsClientErrorCode.InvalidPayload).toBe('WS_ROOMS_INVALID_PAYLOAD');
    expect(WsRoomsClientErrorCode.MalformedMessage).toBe('WS_ROOMS_MALFORMED_MESSAGE');
    expect(WsRoomsClientErrorCode.UnknownPayloadType).toBe('WS_ROOMS_UNKNOWN_PAYLOAD_TYPE');
  });

  it('WsRoomsServerError.fromWire reads the ws-rooms:error payload', () => {
    const error = WsRoomsServerError.fromWire({
      code: 'WS_ROOMS_BAD_REQUEST',
      message: 'bad',
      event: 'join',
      status: 400,
    });
    expect(error).toBeInstanceOf(WsRoomsServerError);
    expect(error).toMatchObject({
      name: 'WsRoomsServerError',
      code: 'WS_ROOMS_BAD_REQUEST',
      event: 'join',
      status: 400,
    });
    expect(
      WsRoomsServerError.fromWire({ code: 'X', message: 'm', event: 5 })?.event,
    ).toBeUndefined();
  });

  it('WsRoomsServerError keeps the details the server attached', () => {
    const error = WsRoomsServerError.fromWire({ code: 'X', message: 'm', details: ['a', 'b'] });
    expect(error?.details).toEqual(['a', 'b']);
    expect(WsRoomsServerError.fromWire({ code: 'X', message: 'm' })?.details).toBeUndefined();
  });

  it.each([[null], ['text'], [[1]], [{ code: 1, message: 'm' }], [{ code: 'X' }]])(
    'WsRoomsServerError.fromWire refuses %j',
    (value) => {
      expect(WsRoomsServerError.fromWire(value)).toBeUndefined();
    },
  );
});
