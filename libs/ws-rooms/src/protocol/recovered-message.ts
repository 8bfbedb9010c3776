import { ReservedEvent } from './protocol.constants';

/**
 * A logged broadcast as recovery-enabled clients receive it: the reserved event `ws-rooms:m` with a
 * string payload `<offset>;<original message>` (see `docs/protocol.md`, recovery). The original
 * message's bytes are kept as they are, so that a binary message stays binary.
 */
export function encodeRecoveredMessage(prefix: string, offset: number, message: Buffer): Buffer {
  const head = Buffer.from(`${prefix}${ReservedEvent.Message};0;${offset};`);
  return Buffer.concat([head, message]);
}
