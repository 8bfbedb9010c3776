import { type DynamicModule, Module } from '@nestjs/common';
import { MessageBody, OnEvent, WsRoomsGateway, WsRoomsModule } from 'ws-rooms';
import { ProtocolClient } from '../support/protocol-client';
import { type RunningApp, startApp } from '../support/test-app';

/**
 * Issue 15, item 1: a payload that made the number pattern backtrack quadratically blocked the event
 * loop for seconds per message. Ten of them, within the default limits (64 KiB messages, the
 * default rate), must leave the server answering at once.
 */

/** 65,000 digits then a letter: the worst case of the former decimal pattern. */
const HOSTILE_NUMBER = '1'.repeat(65_000) + 'x';
const HOSTILE_COUNT = 10;
/**
 * How long the answer to the ping may take once the hostile messages are sent. Parsing them now
 * costs well under a millisecond each; the former pattern took about 2 s each, 20 s in all.
 */
const ANSWER_WITHIN_MS = 2_000;

@WsRoomsGateway()
class PingGateway {
  numbers = 0;

  @OnEvent('ping')
  ping(@MessageBody() nonce: string): { event: string; data: string } {
    return { event: 'pong', data: nonce };
  }

  @OnEvent('number')
  number(@MessageBody() value: number): void {
    this.numbers += value;
  }
}

@Module({})
class HostileInputModule {
  static create(): DynamicModule {
    return {
      module: HostileInputModule,
      // Default limits on purpose: the attack must fit in what a default server accepts.
      imports: [WsRoomsModule.forRoot({ endpoint: '/ws' })],
      providers: [PingGateway],
    };
  }
}

describe('hostile number payloads over a real socket', () => {
  let running: RunningApp;
  let client: ProtocolClient;

  beforeAll(async () => {
    running = await startApp({ imports: [HostileInputModule.create()] });
  });

  afterAll(async () => {
    await running?.close();
  });

  beforeEach(async () => {
    client = await ProtocolClient.connect(running.wsUrl('/ws'));
  });

  afterEach(async () => {
    await client?.close();
  });

  /**
   * Sends the ping after whatever was sent before it and resolves with the milliseconds from
   * `since` until the pong came back. The wait is bounded well beyond ANSWER_WITHIN_MS, so that a
   * blocked loop shows as a measured delay or a timeout, never a hang.
   */
  async function pingAnsweredAfter(since: number, nonce: string): Promise<number> {
    client.emit('ping', nonce);
    const pong = await client.next((m) => m.event === 'pong' && m.payload === nonce, 15_000);
    expect(pong.payload).toBe(nonce);
    return performance.now() - since;
  }

  it('ten 65,000-digit type-1 messages to an unhandled event, then a ping: answered at once', async () => {
    const start = performance.now();
    for (let i = 0; i < HOSTILE_COUNT; i++) client.send('nobody-handles-this', 1, HOSTILE_NUMBER);
    expect(await pingAnsweredAfter(start, 'after-unhandled')).toBeLessThan(ANSWER_WITHIN_MS);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  it('the same to a handled number event: each refused as an invalid payload, the ping answered at once', async () => {
    const start = performance.now();
    for (let i = 0; i < HOSTILE_COUNT; i++) client.send('number', 1, HOSTILE_NUMBER);
    expect(await pingAnsweredAfter(start, 'after-handled')).toBeLessThan(ANSWER_WITHIN_MS);
    const errors = client
      .eventsNamed('ws-rooms:error')
      .map((m) => JSON.parse(m.payload ?? 'null') as { code?: string; event?: string });
    expect(errors).toHaveLength(HOSTILE_COUNT);
    for (const error of errors) {
      expect(error).toMatchObject({ code: 'WS_ROOMS_INVALID_PAYLOAD', event: 'number' });
    }
    expect(running.app.get(PingGateway).numbers).toBe(0);
  });

  it('as type-0 strings coerced to a handler’s number body: refused, the ping answered at once', async () => {
    const start = performance.now();
    for (let i = 0; i < HOSTILE_COUNT; i++) client.send('number', 0, HOSTILE_NUMBER);
    expect(await pingAnsweredAfter(start, 'after-coerced')).toBeLessThan(ANSWER_WITHIN_MS);
    expect(running.app.get(PingGateway).numbers).toBe(0);
  });
});
