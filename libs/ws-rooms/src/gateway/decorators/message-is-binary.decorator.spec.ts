import 'reflect-metadata';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { NEST_PARAM_ARGS_METADATA } from '../../constants';
import { WsRoomsErrorCode } from '../../errors/error-codes';
import {
  hasMessageIsBinary,
  MessageIsBinary,
  WS_ROOMS_PARAM_IS_BINARY,
} from './message-is-binary.decorator';

class Gateway {
  native(
    @ConnectedSocket() connection: unknown,
    @MessageBody() data: unknown,
    @MessageIsBinary() isBinary: boolean,
  ): unknown[] {
    return [connection, data, isBinary];
  }

  other(@MessageBody() data: unknown): unknown {
    return data;
  }
}

describe('@MessageIsBinary()', () => {
  it("records its parameter beside Nest's own, as Nest's parameter metadata", () => {
    const params = Reflect.getMetadata(NEST_PARAM_ARGS_METADATA, Gateway, 'native') as Record<
      string,
      { index: number }
    >;
    expect(params[`${WS_ROOMS_PARAM_IS_BINARY}:2`]).toEqual({
      index: 2,
      data: undefined,
      pipes: [],
    });
    expect(Object.keys(params)).toHaveLength(3);
  });

  it('is found on the method that has it only', () => {
    expect(hasMessageIsBinary(Gateway, 'native')).toBe(true);
    expect(hasMessageIsBinary(Gateway, 'other')).toBe(false);
  });

  it('refuses a constructor parameter when the class is defined', () => {
    expect(() => {
      class Wrong {
        constructor(@MessageIsBinary() readonly isBinary: boolean) {}
      }
      return Wrong;
    }).toThrow(expect.objectContaining({ code: WsRoomsErrorCode.InvalidGateway }));
  });
});
