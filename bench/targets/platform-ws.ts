/**
 * platform-ws: NestJS 11 with `@nestjs/platform-ws`'s `WsAdapter`. The adapter's message parser
 * is set to read Iris event messages (instead of its default `{ event, data }` JSON) so that the
 * bytes on the wire are the same as for every other target; the handlers do what a Nest user
 * would write: loop over `server.clients` and `send` to each.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { WebSocket, type WebSocketServer as WsServer } from 'ws';
import { IRIS_PREFIX } from './control';
import { failStartup, listenForBench } from './nest-app';

/** Routes `iris-websocket-message:<event>;...` to `<event>`, with the whole text as the body. */
function irisParser(data: unknown): { event: string; data: string } | void {
  const text = String(data);
  if (!text.startsWith(IRIS_PREFIX)) return;
  const end = text.indexOf(';', IRIS_PREFIX.length);
  if (end < 0) return;
  return { event: text.slice(IRIS_PREFIX.length, end), data: text };
}

@WebSocketGateway({ path: '/ws', maxPayload: 1 << 20 })
class BenchGateway {
  @WebSocketServer() server!: WsServer;

  @SubscribeMessage('chat')
  chat(@MessageBody() message: string): void {
    for (const client of this.server.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(message);
    }
  }

  @SubscribeMessage('echo')
  echo(@ConnectedSocket() client: WebSocket, @MessageBody() message: string): void {
    client.send(message);
  }
}

@Module({ providers: [BenchGateway] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser: irisParser }));
  await listenForBench(app, 'platform-ws');
}

main().catch(failStartup('platform-ws'));
