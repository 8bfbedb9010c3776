import { performance } from 'node:perf_hooks';
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

/** Disconnect lines logged at most per {@link DISCONNECT_LOG_WINDOW_MS}; the rest are counted. */
export const DISCONNECT_LOG_LINES = 20;
/** The window of {@link DISCONNECT_LOG_LINES}, in milliseconds. */
export const DISCONNECT_LOG_WINDOW_MS = 10_000;

/**
 * A log line budget: a client that connects and disconnects in a loop must not fill the log. Lines
 * past the budget are counted and reported in one line when the next window opens.
 */
class LineBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private skipped = 0;

  constructor(
    private readonly logger: Logger,
    private readonly lines: number,
    private readonly windowMs: number,
  ) {}

  /** True when one more line may be logged now. */
  allow(): boolean {
    const now = performance.now();
    if (now - this.windowStart >= this.windowMs) {
      if (this.skipped > 0) {
        this.logger.warn(
          `${this.skipped} disconnect lines left out in the last ${this.windowMs} ms`,
        );
      }
      this.windowStart = now;
      this.used = 0;
      this.skipped = 0;
    }
    if (this.used < this.lines) {
      this.used++;
      return true;
    }
    this.skipped++;
    return false;
  }
}

/** Iris' chat example: join `room1`, relay `chat` to the whole room, log disconnects (within a budget). */
@WsRoomsGateway()
export class ChatGateway implements OnWsConnection, OnWsDisconnect {
  private readonly logger = new Logger('Chat');
  private readonly disconnectLog = new LineBudget(
    this.logger,
    DISCONNECT_LOG_LINES,
    DISCONNECT_LOG_WINDOW_MS,
  );

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
    if (this.disconnectLog.allow()) {
      this.logger.log(`Connection with ID: ${c.id} has been disconnected!`);
    }
    void this.announceCount();
  }

  /** Tells the room how many are in it (the page shows it). */
  private async announceCount(): Promise<void> {
    this.rooms.to(CHAT_ROOM).emit('members', await this.rooms.count(CHAT_ROOM));
  }
}
