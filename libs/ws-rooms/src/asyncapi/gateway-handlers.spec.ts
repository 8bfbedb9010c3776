import 'reflect-metadata';
import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { OnEvent } from '../gateway/decorators/on-event.decorator';
import { OnMessage } from '../gateway/decorators/on-message.decorator';
import { WsRoomsGateway } from '../gateway/decorators/ws-rooms-gateway.decorator';
import { describeGatewayHandlers } from './gateway-handlers';

class Base {
  @OnEvent('inherited')
  inherited(@MessageBody() value: number): number {
    return value;
  }
}

@WsRoomsGateway()
class Chat extends Base {
  @OnEvent('chat')
  @SubscribeMessage('say')
  chat(@ConnectedSocket() _connection: unknown, @MessageBody() text: string): string {
    return text;
  }

  @OnEvent('move')
  move(@MessageBody('x') x: number, @MessageBody('label') label: string): void {
    void [x, label];
  }

  @OnMessage()
  native(@MessageBody() data: Buffer): void {
    void data;
  }

  @SubscribeMessage({ not: 'a string' })
  wrong(): void {}

  helper(): number {
    return 1;
  }
}

@WsRoomsGateway({ endpoint: 'admin' })
class Admin {
  @OnEvent('kick')
  kick(): boolean {
    return true;
  }
}

describe('describeGatewayHandlers', () => {
  const providers = [
    { metatype: Chat },
    { metatype: Chat },
    { metatype: Admin },
    { metatype: null },
    {},
  ];

  it("reads an endpoint's handlers from the decorators' metadata, each class once", () => {
    const handlers = describeGatewayHandlers(providers, 'default');
    expect(handlers.map(({ where, events, native }) => ({ where, events, native }))).toEqual([
      { where: 'Chat.chat', events: ['chat', 'say'], native: false },
      { where: 'Chat.move', events: ['move'], native: false },
      { where: 'Chat.native', events: [], native: true },
      { where: 'Chat.inherited', events: ['inherited'], native: false },
    ]);
  });

  it('reads the body and return types', () => {
    const [chat, move, native, inherited] = describeGatewayHandlers(providers, 'default');
    expect(chat.body).toEqual({ kind: 'whole', type: String });
    expect(chat.returns).toBe(String);
    expect(move.body).toEqual({
      kind: 'properties',
      properties: [
        { name: 'x', type: Number },
        { name: 'label', type: String },
      ],
    });
    expect(move.returns).toBeUndefined();
    expect(native.body).toEqual({ kind: 'whole', type: Buffer });
    expect(inherited.body).toEqual({ kind: 'whole', type: Number });
  });

  it('keeps to the named endpoint', () => {
    expect(describeGatewayHandlers(providers, 'admin')).toEqual([
      {
        where: 'Admin.kick',
        events: ['kick'],
        native: false,
        body: { kind: 'none' },
        returns: Boolean,
      },
    ]);
    expect(describeGatewayHandlers(providers, 'none')).toEqual([]);
  });
});
