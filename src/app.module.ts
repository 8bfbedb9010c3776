import { Module } from '@nestjs/common';
import { WsRoomsModule } from '../libs/ws-rooms/src';
import { ChatController } from './chat.controller';
import { ChatGateway } from './chat.gateway';

/** The Iris chat example: one endpoint, every connection in `room1`. */
@Module({
  imports: [WsRoomsModule.forRoot('/my_endpoint')],
  controllers: [ChatController],
  providers: [ChatGateway],
})
export class AppModule {}
