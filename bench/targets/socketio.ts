/**
 * socketio: NestJS 11 with `@nestjs/platform-socket.io`'s `IoAdapter` and socket.io rooms:
 * every connection joins `room1`, a chat is broadcast with `server.to('room1').emit(...)`
 * (socket.io encodes the packet once for the room). The event argument is the same Iris text as
 * for the other targets; socket.io adds its own packet framing around it.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { failStartup, listenForBench } from './nest-app';

@WebSocketGateway({ maxHttpBufferSize: 1 << 20 })
class BenchGateway implements OnGatewayConnection {
  @WebSocketServer() server!: Server;

  handleConnection(client: Socket): void {
    void client.join('room1');
  }

  @SubscribeMessage('chat')
  chat(@MessageBody() message: string): void {
    this.server.to('room1').emit('chat', message);
  }

  @SubscribeMessage('echo')
  echo(@ConnectedSocket() client: Socket, @MessageBody() message: string): void {
    client.emit('echo', message);
  }
}

@Module({ providers: [BenchGateway] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useWebSocketAdapter(new IoAdapter(app));
  await listenForBench(app, 'socketio');
}

main().catch(failStartup('socketio'));
