import { Module, UsePipes, ValidationPipe } from '@nestjs/common';
import { SubscribeMessage } from '@nestjs/websockets';
import {
  ArrayMaxSize,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  ConnectedSocket,
  MessageBody,
  OnEvent,
  OnMessage,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';

// A chat application with several gateways on two endpoints, DTO classes validated by
// class-validator, requests, and declared server events: the subject of the AsyncAPI tests.

/** Where a message is posted. */
export class RoomRef {
  @IsString()
  @Length(1, 64)
  room!: string;
}

/** A chat message as clients send it. */
export class ChatMessageDto {
  @IsString()
  @Length(1, 64)
  room!: string;

  @IsString()
  @Length(1, 500)
  text!: string;

  @IsOptional()
  @IsIn(['plain', 'markdown'])
  format?: string;

  @IsOptional()
  @IsString({ each: true })
  @ArrayMaxSize(8)
  tags?: string[];

  @IsOptional()
  @ValidateNested()
  replyTo?: RoomRef;
}

/** What the server answers a history request with. */
export class HistoryPage {
  @IsInt()
  @Min(0)
  total!: number;

  @IsString({ each: true })
  messages!: string[];
}

/** A history request. */
export class HistoryQuery {
  @Matches(/^[a-z0-9-]+$/)
  room!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

@WsRoomsGateway()
export class ChatGateway {
  @OnEvent('join')
  async join(
    @ConnectedSocket() connection: WsConnection,
    @MessageBody() room: string,
  ): Promise<string> {
    await connection.join(room);
    return room;
  }

  @OnEvent('chat')
  @UsePipes(new ValidationPipe())
  chat(@ConnectedSocket() connection: WsConnection, @MessageBody() message: ChatMessageDto): void {
    connection.to(message.room).emit('said', { from: connection.id, text: message.text });
  }

  @OnEvent('history')
  @UsePipes(new ValidationPipe())
  history(@MessageBody() query: HistoryQuery): HistoryPage {
    const page = new HistoryPage();
    page.total = 0;
    page.messages = [query.room];
    return page;
  }
}

@WsRoomsGateway()
export class PresenceGateway {
  @SubscribeMessage('typing')
  typing(@MessageBody() typing: boolean): boolean {
    return typing;
  }

  @OnEvent('score')
  score(@MessageBody() value: number): number {
    return value * 2;
  }

  @OnEvent('avatar')
  avatar(@MessageBody() bytes: Buffer): number {
    return bytes.length;
  }

  @OnEvent('move')
  move(@MessageBody('x') x: number, @MessageBody('y') y: number): string {
    return `${x},${y}`;
  }

  @OnEvent('ping')
  ping(): string {
    return 'pong';
  }
}

@WsRoomsGateway({ endpoint: 'admin' })
export class AdminGateway {
  @OnEvent('kick')
  kick(@MessageBody() id: string): boolean {
    return id.length > 0;
  }

  @OnMessage()
  raw(@MessageBody() data: Buffer): void {
    void data;
  }
}

/** The options of the chat endpoint's document. */
export const CHAT_ASYNCAPI: NonNullable<WsRoomsOptions['asyncapi']> = {
  title: 'Chat',
  version: '2.1.0',
  description: 'The chat of the AsyncAPI tests.',
  serverEvents: {
    said: { type: 'object', properties: { from: { type: 'string' }, text: { type: 'string' } } },
    members: Number,
  },
  requestsToClient: { confirm: { value: String, reply: Boolean, description: 'asks the user' } },
};

/** Two endpoints serving one document at /asyncapi.json. */
export function fixtureModule(extra: Partial<WsRoomsOptions> = {}) {
  @Module({
    imports: [
      WsRoomsModule.forRoot({
        endpoint: '/chat',
        presence: { rooms: ['lobby'] },
        recovery: {},
        asyncapi: CHAT_ASYNCAPI,
        ...extra,
      }),
      WsRoomsModule.forRoot({
        endpoint: '/admin',
        name: 'admin',
        asyncapi: {
          title: 'Chat',
          version: '2.1.0',
          description: 'The chat of the AsyncAPI tests.',
          host: 'admin.example.com:8443',
          protocol: 'wss',
        },
      }),
    ],
    providers: [ChatGateway, PresenceGateway, AdminGateway],
  })
  class FixtureModule {}
  return FixtureModule;
}
