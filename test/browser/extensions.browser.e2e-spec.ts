import { Module } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ClientPageController,
  launchChromium,
  openWatchedContext,
  type WatchedContext,
  waitUntilInPage,
} from '../support/chromium';
import {
  ConnectionsService,
  MessageBody,
  OnEvent,
  RoomsService,
  WsRoomsError,
  WsRoomsErrorCode,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import type { RecoveryResult } from 'ws-rooms/client';
import { eventually } from '../support/protocol-client';
import { type RunningApp, startApp } from '../support/test-app';
import { RoomMembershipHandlers } from '../support/room-membership.handlers';
import {
  clientPageView,
  type ClientPageWindow,
  firstSession,
  startPageClient,
} from '../support/client-page';

// The protocol extensions (requests both ways, presence, missed-message recovery) with the modern
// client of /iris-ws.js in a real browser: Debian's Chromium driven by playwright-core, against an
// in-process Nest app on 127.0.0.1 that serves a blank page and the client script (same origin).

const ID = /^[A-Za-z0-9_-]{22}$/;

/** Bound of one wait for something the page or the server must show (a 2-core CI runner is slow). */
const WAIT_MS = 10_000;
/** The recovering page waits this long before reconnecting: time to broadcast while it is away. */
const RECONNECT_DELAY_MS = 500;

jest.setTimeout(60_000);

@WsRoomsGateway()
class ExtensionsGateway extends RoomMembershipHandlers {
  @OnEvent('sum')
  sum(@MessageBody() values: number[]): number {
    return values.reduce((total, value) => total + value, 0);
  }

  @OnEvent('refuse')
  refuse(): never {
    throw new WsException('members only');
  }

  @OnEvent('forbid')
  forbid(): never {
    throw new WsRoomsError(WsRoomsErrorCode.Forbidden, 'not yours');
  }
}

@Module({
  imports: [
    WsRoomsModule.forRoot({
      endpoint: '/ws',
      recovery: { windowMs: 10_000, maxMessages: 100 },
      presence: {
        rooms: ['lobby'],
        metadata: (c) => ({ name: String((c.principal as { name?: unknown })?.name ?? 'anon') }),
      },
      authenticate: (req) => ({
        name: new URL(req.url!, 'http://x').searchParams.get('name') ?? 'anon',
      }),
    }),
  ],
  controllers: [ClientPageController],
  providers: [ExtensionsGateway],
})
class ExtensionsBrowserModule {}

/** A page with a connected client, and the connection id it reported. */
interface BrowserClient {
  readonly page: Page;
  readonly id: string;
}

/** The rejection of a request, as the page sees it. */
interface Rejection {
  name: string;
  code: string;
  message: string;
}

/** {@link waitUntilInPage} with this suite's bound and page view. */
function waitInPage<Result>(
  page: Page,
  what: string,
  predicate: (arg: string) => Result,
  arg: string,
  timeoutMs = WAIT_MS,
): Promise<Result> {
  return waitUntilInPage(page, what, predicate, arg, timeoutMs, (page) => clientPageView(page));
}

describe('protocol extensions in Chromium (real browser, playwright-core)', () => {
  let browser: Browser | undefined;
  let running: RunningApp | undefined;
  let context: BrowserContext | undefined;
  /** Per test: records uncaught page exceptions and every request (none may leave 127.0.0.1). */
  let watched: WatchedContext | undefined;

  const connections = (): ConnectionsService => running!.app.get(ConnectionsService);

  beforeAll(async () => {
    browser = await launchChromium();
    running = await startApp({ imports: [ExtensionsBrowserModule] });
  });

  beforeEach(async () => {
    watched = await openWatchedContext(browser!, WAIT_MS);
    context = watched.context;
  });

  afterEach(async () => {
    // Closing the context closes its pages, hence their sockets: the next test starts alone.
    await context?.close().catch(() => undefined);
    context = undefined;
    if (running !== undefined) {
      await eventually(() => connections().count === 0, WAIT_MS, 'every connection to close');
    }
    watched?.expectClean();
  });

  afterAll(async () => {
    // Each step runs even when another failed, so no browser process or listening port outlives
    // the suite.
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await running?.close().catch(() => undefined);
  });

  /**
   * Opens the blank page, creates `window.client` (a recovering WsRoomsClient authenticated as
   * `name`) with its recorders, and waits for its first session: the id the page reports.
   */
  async function openClient(name: string, reconnectDelayMs?: number): Promise<BrowserClient> {
    const page = await context!.newPage();
    await page.goto(`${running!.httpUrl}/`);
    await startPageClient(
      page,
      `${running!.wsUrl('/ws')}?name=${encodeURIComponent(name)}`,
      reconnectDelayMs,
    );
    const first = await firstSession(page, 'the first session', WAIT_MS);
    expect(first).toEqual({ status: 'fresh', recovered: false, id: expect.stringMatching(ID) });
    const id = (first as RecoveryResult).id;
    await eventually(() => connections().has(id), WAIT_MS, `the connection of ${name}`);
    expect((connections().get(id)!.principal as { name: string }).name).toBe(name);
    return { page, id };
  }

  /** Runs `client.request(event, value)` in the page: the value, or how it was rejected. */
  function requestInPage(
    page: Page,
    event: string,
    value: unknown,
  ): Promise<{ value: unknown } | { rejected: Rejection }> {
    return page.evaluate(
      async ({ event, value }) => {
        const w = window as unknown as ClientPageWindow;
        try {
          return { value: await w.client.request(event, value, { timeout: 5000 }) };
        } catch (error) {
          const e = error as { name: string; code: string; message: string };
          return { rejected: { name: e.name, code: e.code, message: e.message } };
        }
      },
      { event, value },
    );
  }

  it("request() resolves with the handler's value; a throwing handler and an unknown event reject with their codes", async () => {
    const { page } = await openClient('alice');

    expect(await requestInPage(page, 'sum', [1, 2, 3])).toEqual({ value: 6 });
    expect(await requestInPage(page, 'refuse', null)).toEqual({
      rejected: {
        name: 'WsRoomsServerError',
        code: 'WS_ROOMS_BAD_REQUEST',
        message: 'members only',
      },
    });
    expect(await requestInPage(page, 'forbid', null)).toEqual({
      rejected: { name: 'WsRoomsServerError', code: 'WS_ROOMS_FORBIDDEN', message: 'not yours' },
    });
    const unknown = await requestInPage(page, 'no-such-event', 1);
    expect(unknown).toEqual({
      rejected: expect.objectContaining({
        name: 'WsRoomsServerError',
        code: 'WS_ROOMS_NO_HANDLER',
      }),
    });
    // The connection survived the errors.
    expect(await requestInPage(page, 'sum', [40, 2])).toEqual({ value: 42 });
  });

  it('answers a server-to-client request with the handler registered by onRequest in the page', async () => {
    const { page, id } = await openClient('alice');
    await page.evaluate(() => {
      const w = window as unknown as ClientPageWindow;
      w.client.onRequest('confirm', (q) => 'yes:' + String(q));
    });

    const connection = connections().get(id)!;
    await expect(connection.request('confirm', 'x', { timeout: 5000 })).resolves.toBe('yes:x');
    await expect(connection.request('unhandled', null, { timeout: 5000 })).rejects.toMatchObject({
      code: 'WS_ROOMS_NO_HANDLER',
    });
  });

  it('shows both pages in a presence-tracked room with metadata from the principal; a closed page leaves', async () => {
    const alice = await openClient('alice');
    const bob = await openClient('bob');
    for (const { page } of [alice, bob]) {
      expect(await requestInPage(page, 'join', 'lobby')).toEqual({
        value: expect.arrayContaining(['lobby']),
      });
    }

    const both = [
      { id: alice.id, meta: { name: 'alice' } },
      { id: bob.id, meta: { name: 'bob' } },
    ];
    for (const { page } of [alice, bob]) {
      await waitInPage(
        page,
        'both members in lobby',
        (expected) =>
          JSON.stringify((window as unknown as ClientPageWindow).client.presence('lobby')) ===
          expected,
        JSON.stringify(both),
      );
      expect(
        await page.evaluate(() => (window as unknown as ClientPageWindow).client.presence('lobby')),
      ).toEqual(both);
    }
    expect(await running!.app.get(RoomsService).presence('lobby')).toEqual(both);

    await bob.page.close();
    await waitInPage(
      alice.page,
      'bob leaving lobby',
      (bobId) =>
        (window as unknown as ClientPageWindow).presenceChanges.some(
          (change) => change.type === 'left' && change.room === 'lobby' && change.id === bobId,
        ),
      bob.id,
    );
    expect(
      await alice.page.evaluate(() =>
        (window as unknown as ClientPageWindow).client.presence('lobby'),
      ),
    ).toEqual([both[0]]);
    await eventually(() => !connections().has(bob.id), WAIT_MS, "bob's connection to end");
    expect(await running!.app.get(RoomsService).presence('lobby')).toEqual([both[0]]);
  });

  it('recovers after the server drops the socket: same id, the 3 missed messages once and in order', async () => {
    const { page, id } = await openClient('carol', RECONNECT_DELAY_MS);
    expect(await requestInPage(page, 'join', 'news')).toEqual({ value: [id, 'news'] });
    const rooms = running!.app.get(RoomsService);
    rooms.to('news').emit('said', 'live-0');
    await waitInPage(
      page,
      'live-0',
      () => (window as unknown as ClientPageWindow).received.length === 1,
      '',
    );

    (connections().get(id) as unknown as { ws: { terminate(): void } }).ws.terminate();
    await eventually(() => !connections().has(id), WAIT_MS, 'the server to drop the connection');
    rooms.to('news').emit('said', 'missed-1');
    rooms.to('news').emit('said', 'missed-2');
    rooms.to('news').emit('said', 'missed-3');
    // Sent while the page was away: it has not reconnected yet.
    expect(connections().has(id)).toBe(false);

    const recovery = await waitInPage(
      page,
      'the recovery',
      () => (window as unknown as ClientPageWindow).recoveries[1] ?? false,
      '',
    );
    expect(recovery).toEqual({ status: 'recovered', recovered: true, id });
    expect(await page.evaluate(() => (window as unknown as ClientPageWindow).client.id)).toBe(id);
    await waitInPage(
      page,
      'the missed messages',
      () => (window as unknown as ClientPageWindow).received.length >= 4,
      '',
    );
    expect(connections().get(id)?.recovered).toBe(true);

    // A live message after the recovery arrives too, and nothing is repeated before it.
    rooms.to('news').emit('said', 'live-1');
    await waitInPage(
      page,
      'live-1',
      () => (window as unknown as ClientPageWindow).received.includes('live-1'),
      '',
    );
    expect(await page.evaluate(() => (window as unknown as ClientPageWindow).received)).toEqual([
      'live-0',
      'missed-1',
      'missed-2',
      'missed-3',
      'live-1',
    ]);
    expect(await page.evaluate(() => (window as unknown as ClientPageWindow).states)).toEqual([
      'open',
      'reconnecting',
      'open',
    ]);
  });
});
