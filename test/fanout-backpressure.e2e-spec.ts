import { Module } from '@nestjs/common';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  ConnectionsService,
  type DisconnectInfo,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type OnWsDisconnect,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { eventually, withTimeout } from './support/protocol-client';
import { type RunningApp, startApp } from './support/test-app';

/**
 * Fan-out at scale with a slow reader: the demo's contract (every member in `room1`, the sender
 * included, chat relayed as `From: <id>: <message>`) with 200 members and 1,000 messages. One member
 * stops reading; its send queue passes `maxBufferedBytes` and it is cut with 1008, while every other
 * member receives every message, once, in order. The slow member is also in a `ballast` room that
 * gets a large message every few chats, so that its queue outgrows the kernel's socket buffers
 * (several MiB on loopback) within the test. The small `writeBufferSize` makes the per-turn batches
 * of a member leave in several writes, so the early flush is part of what is checked.
 */

const MEMBERS = 200;
const MESSAGES = 1000;
/** Messages the sender keeps in flight, counted by the arrival of its own copies. */
const WINDOW = 20;
const PADDING = 'x'.repeat(500);
const MAX_BUFFERED_BYTES = 128 * 1024;
const PREFIX = 'iris-websocket-message:chat;0;';
const RELAYED = /^From: (\S+): (\d+):x+$/;
const BALLAST = Buffer.alloc(64 * 1024, 0x62).toString();
/** One ballast message every this many chats: 200 of 64 KiB, far over the kernel's buffers. */
const BALLAST_EVERY = 5;

interface DisconnectRecord {
  readonly id: string;
  readonly info: DisconnectInfo;
}

@WsRoomsGateway()
class ChatGateway implements OnWsConnection, OnWsDisconnect {
  readonly disconnects: DisconnectRecord[] = [];

  onWsConnection(connection: WsConnection): void {
    void connection.join('room1');
    if (connection.upgradeRequest?.url?.endsWith('?ballast') === true) {
      void connection.join('ballast');
    }
  }

  onWsDisconnect(connection: WsConnection, info: DisconnectInfo): void {
    this.disconnects.push({ id: connection.id, info });
  }

  @OnEvent('chat')
  chat(@ConnectedSocket() connection: WsConnection, @MessageBody() message: string): void {
    connection.to('room1').emit('chat', `From: ${connection.id}: ${message}`);
    if (Number.parseInt(message, 10) % BALLAST_EVERY === 0) {
      connection.to('ballast').emit('ballast', BALLAST);
    }
  }
}

@Module({
  imports: [
    WsRoomsModule.forRoot({
      endpoint: '/ws',
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      writeBufferSize: 4096,
      // Every member connects from 127.0.0.1, and the sender sends far faster than a person.
      maxConnectionsPerAddress: 0,
      maxConnectionRatePerAddress: 0,
      maxMessageRate: 0,
    }),
  ],
  providers: [ChatGateway],
})
class FanoutModule {}

/**
 * A member that keeps only what the checks need: how many chat messages arrived, the first one
 * out of order (if any) and who relayed them. Memory stays flat whatever the volume.
 */
class Member {
  count = 0;
  outOfOrder: string | null = null;
  readonly senders = new Set<string>();
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiter: { count: number; resolve: () => void } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.onMessage(data.toString('utf8')));
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async connect(url: string): Promise<Member> {
    const ws = new WebSocket(url);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      10_000,
      `connect ${url}`,
    );
    return new Member(ws);
  }

  /** Stops reading the socket: the server's writes pile up in the kernel, then in its queue. */
  stopReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.pause();
  }

  resumeReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.resume();
  }

  /** Resolves once `count` chat messages have arrived; bounded. */
  received(count: number, timeoutMs: number): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => (this.waiter = { count, resolve })),
      timeoutMs,
      `${count} messages (got ${this.count})`,
    );
  }

  private onMessage(text: string): void {
    if (text.startsWith('iris-websocket-message:ballast;')) return;
    const match = text.startsWith(PREFIX) ? RELAYED.exec(text.slice(PREFIX.length)) : null;
    if (match === null || Number(match[2]) !== this.count) {
      this.outOfOrder ??= `#${this.count}: ${text.slice(0, 80)}`;
    } else {
      this.senders.add(match[1]);
    }
    this.count++;
    if (this.waiter !== null && this.count >= this.waiter.count) {
      this.waiter.resolve();
      this.waiter = null;
    }
  }
}

describe('fan-out to 200 members with a slow reader', () => {
  let running: RunningApp;
  const members: Member[] = [];

  beforeAll(async () => {
    running = await startApp({ imports: [FanoutModule] });
  });

  afterAll(async () => {
    for (const member of members) member.ws.terminate();
    await running.close();
  });

  it('cuts the slow reader with 1008 while every other member receives all 1,000 messages in order', async () => {
    const url = running.wsUrl('/ws');
    // Readers first, in batches, then the slow reader, then the sender: the sender joins last, so
    // the server reaches it last in the room and its own copy arriving means the others were sent.
    const readers: Member[] = [];
    for (let i = 0; i < MEMBERS - 2; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, MEMBERS - 2 - i) }, () => Member.connect(url)),
      );
      readers.push(...batch);
    }
    const slow = await Member.connect(`${url}?ballast`);
    slow.stopReading();
    const sender = await Member.connect(url);
    members.push(...readers, slow, sender);
    const gateway = running.app.get(ChatGateway);
    const connections = running.app.get(ConnectionsService);
    await eventually(() => connections.stats().connections === MEMBERS, 5000);

    for (let sent = 0; sent < MESSAGES; sent++) {
      if (sent >= WINDOW) await sender.received(sent - WINDOW + 1, 20_000);
      sender.ws.send(`${PREFIX}${sent}:${PADDING}`);
    }
    await sender.received(MESSAGES, 20_000);
    await Promise.all(readers.map((reader) => reader.received(MESSAGES, 20_000)));

    for (const member of [...readers, sender]) {
      expect({ count: member.count, outOfOrder: member.outOfOrder }).toEqual({
        count: MESSAGES,
        outOfOrder: null,
      });
      expect(member.senders.size).toBe(1);
    }
    expect(connections.stats().slowConsumerCuts).toBe(1);
    expect(gateway.disconnects.map((record) => record.info)).toEqual([
      { code: 1008, reason: 'slow consumer', initiator: 'server' },
    ]);

    // The slow reader, reading again, finds an in-order beginning of the messages, then the close.
    slow.resumeReading();
    expect(await withTimeout(slow.closed, 10_000, 'the close frame')).toEqual({
      code: 1008,
      reason: 'slow consumer',
    });
    expect(slow.outOfOrder).toBeNull();
    expect(slow.count).toBeGreaterThan(0);
    expect(slow.count).toBeLessThan(MESSAGES);
    // Everyone else is still connected.
    expect(connections.stats().connections).toBe(MEMBERS - 1);
  }, 90_000);
});
