import { Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type OnWsDisconnect,
  RoomsService,
  type WsConnection,
  WsRoomsGateway,
} from '../libs/ws-rooms/src';

/** The room every demo connection joins. */
export const CHAT_ROOM = 'room1';

/** Iris' chat example: join `room1`, relay `chat` to the whole room, log disconnects. */
@WsRoomsGateway()
export class ChatGateway implements OnWsConnection, OnWsDisconnect {
  private readonly logger = new Logger('Chat');

  constructor(private readonly rooms: RoomsService) {}

  async onWsConnection(c: WsConnection): Promise<void> {
    await c.join(CHAT_ROOM);
    await this.announceCount();
  }

  @OnEvent('chat')
  chat(@ConnectedSocket() c: WsConnection, @MessageBody() message: string): void {
    c.to(CHAT_ROOM).emit('chat', `From: ${c.id}: ${message}`);
  }

  onWsDisconnect(c: WsConnection): void {
    this.logger.log(`Connection with ID: ${c.id} has been disconnected!`);
    void this.announceCount();
  }

  /** Tells the room how many are in it (the page shows it). */
  private async announceCount(): Promise<void> {
    this.rooms.to(CHAT_ROOM).emit('members', await this.rooms.count(CHAT_ROOM));
  }
}
