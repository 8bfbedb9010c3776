import { ConnectedSocket, MessageBody, OnEvent, type WsConnection } from 'ws-rooms';

/**
 * The `join` and `leave` events most fixture gateways share: a client moves itself between rooms
 * and is answered with its rooms once the move is effective. A fixture gateway extends it (the
 * explorer finds inherited handlers) and adds its own events.
 */
export abstract class RoomMembershipHandlers {
  @OnEvent('join')
  async join(@ConnectedSocket() c: WsConnection, @MessageBody() room: string): Promise<string[]> {
    await c.join(room);
    return c.rooms();
  }

  @OnEvent('leave')
  async leave(@ConnectedSocket() c: WsConnection, @MessageBody() room: string): Promise<string[]> {
    await c.leave(room);
    return c.rooms();
  }
}
