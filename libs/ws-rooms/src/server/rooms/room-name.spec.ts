import { WsRoomsError } from '../../errors/ws-rooms.error';
import { assertRoomName } from './room-name';

const rules = { maxRoomNameLength: 8, isConnectionId: (name: string) => name.startsWith('id:') };

function codeOf(room: unknown): string | undefined {
  try {
    assertRoomName(room as string, rules);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(WsRoomsError);
    expect((error as Error).message).not.toContain(String(room).slice(0, 6) || '\u0000');
    return (error as WsRoomsError).code;
  }
}

describe('assertRoomName', () => {
  it('accepts ordinary names up to the limit', () => {
    expect(codeOf('room1')).toBeUndefined();
    expect(codeOf('12345678')).toBeUndefined();
  });

  it('refuses empty names and non-strings', () => {
    expect(codeOf('')).toBe('WS_ROOMS_INVALID_ROOM_NAME');
    expect(codeOf(42)).toBe('WS_ROOMS_INVALID_ROOM_NAME');
  });

  it('measures the limit in UTF-8 bytes, not characters, and never echoes the name', () => {
    expect(codeOf('123456789')).toBe('WS_ROOMS_ROOM_NAME_TOO_LONG');
    expect(codeOf('ééééé')).toBe('WS_ROOMS_ROOM_NAME_TOO_LONG'); // 5 characters, 10 bytes
    expect(codeOf('x'.repeat(65_536))).toBe('WS_ROOMS_ROOM_NAME_TOO_LONG');
  });

  it('refuses names shaped like connection ids', () => {
    expect(codeOf('id:abc')).toBe('WS_ROOMS_INVALID_ROOM_NAME');
  });
});
