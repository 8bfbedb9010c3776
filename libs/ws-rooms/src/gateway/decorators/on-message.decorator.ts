import { SetMetadata } from '@nestjs/common';
import { WS_ROOMS_NATIVE_METADATA } from '../../constants';

/**
 * Handles native messages: every message that is not an event message, raw (`Buffer`, or `string`
 * when the body is declared as one). Iris' `OnMessage`.
 */
export function OnMessage(): MethodDecorator {
  return SetMetadata(WS_ROOMS_NATIVE_METADATA, true);
}
