import { WsRoomsErrorCode } from '../../errors/error-codes';
import { WsRoomsError } from '../../errors/ws-rooms.error';

/** What makes a room name acceptable on one endpoint. */
export interface RoomNameRules {
  /** Longest room name, in UTF-8 bytes. */
  readonly maxRoomNameLength: number;
  /** Names of this shape are connection ids, and no room may take one. */
  isConnectionId(name: string): boolean;
}

/**
 * Checks a room name before it reaches any index, store key or channel.
 * @throws WsRoomsError `WS_ROOMS_INVALID_ROOM_NAME` (not a non-empty string, or shaped like a
 * connection id) or `WS_ROOMS_ROOM_NAME_TOO_LONG`.
 */
export function assertRoomName(room: string, rules: RoomNameRules): void {
  if (typeof room !== 'string' || room.length === 0) {
    throw new WsRoomsError(
      WsRoomsErrorCode.InvalidRoomName,
      'Invalid room name: it must be a non-empty string',
    );
  }
  // Length first, and in characters before bytes: a huge name costs no more than this check.
  if (room.length > rules.maxRoomNameLength || Buffer.byteLength(room) > rules.maxRoomNameLength) {
    throw new WsRoomsError(
      WsRoomsErrorCode.RoomNameTooLong,
      `Room name is longer than ${rules.maxRoomNameLength} bytes (maxRoomNameLength)`,
    );
  }
  if (rules.isConnectionId(room)) {
    throw new WsRoomsError(
      WsRoomsErrorCode.InvalidRoomName,
      'Invalid room name: it has the shape of a connection id, and ids are not rooms',
    );
  }
}
