import { NEST_PARAM_ARGS_METADATA } from '../../constants';
import { WsRoomsErrorCode } from '../../errors/error-codes';
import { WsRoomsError } from '../../errors/ws-rooms.error';

/**
 * The parameter type {@link MessageIsBinary} records, beside Nest's own (`@ConnectedSocket()` is 0,
 * `@MessageBody()` 3, the HTTP ones 0 to 13): far from any of them.
 */
export const WS_ROOMS_PARAM_IS_BINARY = 1000;

/**
 * Injects whether the native message arrived in a binary frame (`true`) or a text frame (`false`),
 * into an `@OnMessage()` handler: an echo or a relay can then answer with the same kind of frame.
 *
 * ```ts
 * @OnMessage()
 * echo(
 *   @ConnectedSocket() connection: WsConnection,
 *   @MessageBody() data: Buffer,
 *   @MessageIsBinary() isBinary: boolean,
 * ): void {
 *   connection.emitMessage(isBinary ? data : data.toString('utf8'));
 * }
 * ```
 *
 * Only for `@OnMessage()` handlers: on a method that also handles events (`@OnEvent`,
 * `@SubscribeMessage`), or that handles none, the start-up fails with `WS_ROOMS_INVALID_GATEWAY`.
 * @throws WsRoomsError `WS_ROOMS_INVALID_GATEWAY` (at class definition) on a constructor parameter.
 */
export function MessageIsBinary(): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidGateway,
        'ws-rooms: @MessageIsBinary() belongs on a parameter of an @OnMessage() method, not of a constructor',
      );
    }
    const type = target.constructor;
    const params =
      (Reflect.getMetadata(NEST_PARAM_ARGS_METADATA, type, key) as
        Record<string, unknown> | undefined) ?? {};
    Reflect.defineMetadata(
      NEST_PARAM_ARGS_METADATA,
      {
        ...params,
        [`${WS_ROOMS_PARAM_IS_BINARY}:${index}`]: { index, data: undefined, pipes: [] },
      },
      type,
      key,
    );
  };
}

/** True when a method of a class has a {@link MessageIsBinary} parameter. */
export function hasMessageIsBinary(type: object, methodName: string | symbol): boolean {
  const params = Reflect.getMetadata(NEST_PARAM_ARGS_METADATA, type, methodName) as
    Record<string, unknown> | undefined;
  return Object.keys(params ?? {}).some(
    (key) => Number(key.split(':')[0]) === WS_ROOMS_PARAM_IS_BINARY,
  );
}
