import type { ParamsFactory } from '@nestjs/core';
import { NEST_WS_PARAM_PAYLOAD, NEST_WS_PARAM_SOCKET } from '../constants';
import { WS_ROOMS_PARAM_IS_BINARY } from './decorators/message-is-binary.decorator';
import { isBinaryArgument } from './handler-arguments';

/**
 * Resolves `@ConnectedSocket()`, `@MessageBody(property?)` and `@MessageIsBinary()` from a ws-rooms
 * handler's arguments (see `HandlerArguments`).
 */
export class WsParamsFactory implements ParamsFactory {
  exchangeKeyForValue(
    type: number,
    data: string | number | object | undefined,
    args: unknown[],
  ): unknown {
    if (type === NEST_WS_PARAM_SOCKET) return args[0];
    if (type === NEST_WS_PARAM_PAYLOAD) {
      const payload = args[1];
      if (data === undefined || data === null) return payload;
      return typeof payload === 'object' && payload !== null
        ? (payload as Record<string, unknown>)[String(data)]
        : undefined;
    }
    if (type === WS_ROOMS_PARAM_IS_BINARY) return isBinaryArgument(args);
    return null;
  }
}
