import 'reflect-metadata';
import { SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import {
  isNestWebSocketGateway,
  subscribedMessageOf,
  webSocketServerProperties,
} from './nest-gateway-metadata';

// Read against Nest's real decorators: a change of their metadata keys fails here first.

@WebSocketGateway({ path: '/nest' })
class NestGateway {
  @WebSocketServer() server: unknown;
  @WebSocketServer() second: unknown;
  plainProperty = 1;

  @SubscribeMessage('chat')
  chat(): void {}

  @SubscribeMessage({ cmd: 'sum' })
  sum(): void {}

  plain(): void {}
}

class Plain {
  server: unknown;
}

describe('Nest websocket metadata', () => {
  it('finds the message of @SubscribeMessage, whatever its type, and nothing on other methods', () => {
    const prototype = NestGateway.prototype;
    expect(subscribedMessageOf(prototype.chat)).toEqual({ message: 'chat' });
    expect(subscribedMessageOf(prototype.sum)).toEqual({ message: { cmd: 'sum' } });
    expect(subscribedMessageOf(prototype.plain)).toBeUndefined();
  });

  it('finds the @WebSocketServer() properties of an instance, and only them', () => {
    expect(webSocketServerProperties(new NestGateway()).sort()).toEqual(['second', 'server']);
    expect(webSocketServerProperties(new Plain())).toEqual([]);
  });

  it('tells a @WebSocketGateway class', () => {
    expect(isNestWebSocketGateway(NestGateway)).toBe(true);
    expect(isNestWebSocketGateway(Plain)).toBe(false);
  });
});
