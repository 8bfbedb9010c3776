import type { ParamsFactory } from '@nestjs/core';
import { NEST_WS_PARAM_PAYLOAD, NEST_WS_PARAM_SOCKET } from '../constants';

/** Resolves `@ConnectedSocket()` and `@MessageBody(property?)` from a ws-rooms handler's arguments. */
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
    return null;
  }
}
