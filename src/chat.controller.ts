import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Body, Controller, Get, Header, Headers, HttpCode, Post } from '@nestjs/common';
import { RoomsService } from '../libs/ws-rooms/src';
import { CHAT_ROOM } from './chat.gateway';
import { renderChatPage } from './chat-page';

const CHAT_SCRIPT = readFileSync(join(__dirname, 'public', 'chat.js'), 'utf8');

/** Serves the chat page and its script, and lets HTTP clients post into the room. */
@Controller()
export class ChatController {
  constructor(private readonly rooms: RoomsService) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(@Headers('host') host?: string): string {
    return renderChatPage(host ?? 'localhost');
  }

  @Get('chat.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  script(): string {
    return CHAT_SCRIPT;
  }

  /** Pushes a message to everyone in the room from outside websockets (e.g. a webhook). */
  @Post('announcements')
  @HttpCode(202)
  async announce(@Body() body: { text?: unknown }): Promise<{ delivered: number }> {
    const text = typeof body?.text === 'string' ? body.text : '';
    this.rooms.to(CHAT_ROOM).emit('chat', `Announcement: ${text}`);
    return { delivered: await this.rooms.count(CHAT_ROOM) };
  }
}
