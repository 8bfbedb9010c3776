import { Module } from '@nestjs/common';
import { RedisRoomStore, WsRoomsModule } from '../libs/ws-rooms/src';
import { ChatController } from './chat.controller';
import { ChatGateway } from './chat.gateway';

/** The Iris chat example: one endpoint, every connection in `room1`. */
@Module({
  imports: [
    // A factory, so that every app instance (a restart in tests included) gets a store of its own.
    WsRoomsModule.forRootAsync({
      useFactory: () => ({
        endpoint: '/my_endpoint',
        // Several nodes share rooms and broadcasts when REDIS_URL is set (docs/multi-node.md).
        store: process.env.REDIS_URL
          ? new RedisRoomStore({ url: process.env.REDIS_URL })
          : undefined,
      }),
    }),
  ],
  controllers: [ChatController],
  providers: [ChatGateway],
})
export class AppModule {}
