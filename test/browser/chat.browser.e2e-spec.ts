import type { INestApplication } from '@nestjs/common';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  launchChromium,
  openWatchedContext,
  ROOT,
  type WatchedContext,
  waitUntilInPage,
} from '../support/chromium';
import {
  type OnWsConnection,
  type OnWsDisconnect,
  RoomsService,
  type WsConnection,
  WsRoomsGateway,
} from 'ws-rooms';
import type { WsRoomsClient } from 'ws-rooms/client';
import { AppModule } from '../../src/app.module';
import { CHAT_ROOM } from '../../src/chat.gateway';
import { type Platform, PLATFORMS, startAppOn } from '../support/test-app';

// The chat demo in a real browser: Debian's Chromium (`apt-get install chromium`, as CI does in
// `.ci/run`) driven by playwright-core, against the demo's AppModule listening on 127.0.0.1, on
// Express and on Fastify.

/** Where the two-participant screenshot goes (one per platform). */
function screenshotFile(platform: Platform): string {
  return join(ROOT, 'artifacts', `chat-two-participants-${platform}.png`);
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const ID = /^[A-Za-z0-9_-]{22}$/;

/** Bound of one wait for something the page or the server must show (a 2-core CI runner is slow). */
const WAIT_MS = 10_000;
/** Bound of the reconnection after a restart: the backoff's delay ceiling is 5 s (plus jitter). */
const RECONNECT_WAIT_MS = 20_000;

jest.setTimeout(60_000);

/**
 * Observes the demo's endpoint from the test: which connections open (in order) and which are live,
 * so that a test learns a page's connection id from the server, and waits on connection events
 * rather than on timers.
 */
@WsRoomsGateway()
class ConnectionProbe implements OnWsConnection, OnWsDisconnect {
  /** Every connection id, in the order the connections opened. */
  readonly opened: string[] = [];
  readonly live = new Set<string>();
  private waiters: (() => void)[] = [];

  onWsConnection(connection: WsConnection): void {
    this.opened.push(connection.id);
    this.live.add(connection.id);
    this.notify();
  }

  onWsDisconnect(connection: WsConnection): void {
    this.live.delete(connection.id);
    this.notify();
  }

  /** Resolves once `condition` holds, checked now and after every connect and disconnect. */
  until(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((other) => other !== waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The id of the connection that opens after the first `count` ones. */
  async connectionAfter(count: number): Promise<string> {
    await this.until(() => this.opened.length > count, `connection #${count + 1}`);
    return this.opened[count];
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** The demo app, plus the probe, listening on 127.0.0.1. */
interface DemoServer {
  readonly app: INestApplication;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly probe: ConnectionProbe;
  readonly rooms: RoomsService;
  readonly closed: boolean;
  /** Graceful shutdown: every client receives close 1001 before the port closes. */
  close(): Promise<void>;
}

/** Starts the demo's AppModule on `port` (0: the OS chooses; a number: the same port again). */
async function startDemo(platform: Platform, port = 0): Promise<DemoServer> {
  const running = await startAppOn(
    platform,
    { imports: [AppModule], providers: [ConnectionProbe] },
    { port },
  );
  return {
    app: running.app,
    port: running.port,
    url: running.httpUrl,
    probe: running.app.get(ConnectionProbe),
    rooms: running.app.get(RoomsService),
    get closed() {
      return running.closed;
    },
    close: () => running.close(),
  };
}

/** What the restart test records in a page's window (a reload would lose it). */
interface RestartWatch {
  disconnects: unknown[];
  states: string[];
  /** `members` values received since the connection last opened. */
  membersSinceOpen: unknown[];
}

/** The demo page's globals: `chat.js` exposes its client as `window.chatClient`. */
type DemoWindow = Window & { chatClient: WsRoomsClient; restartWatch?: RestartWatch };

/** One browser page on the demo, with its connection id (learnt from the server). */
interface Participant {
  readonly page: Page;
  readonly id: string;
}

/** What a page shows, for timeout messages. */
interface PageView {
  status: string | null;
  state: string | null;
  members: string | null;
  messages: string[];
}

function viewOf(page: Page): Promise<PageView | string> {
  return page
    .evaluate(() => ({
      status: document.getElementById('status')?.textContent ?? null,
      state: document.getElementById('status')?.getAttribute('data-state') ?? null,
      members: document.getElementById('members')?.textContent ?? null,
      messages: Array.from(document.querySelectorAll('#messages li'), (li) => li.textContent ?? ''),
    }))
    .catch((error: Error) => `(page unavailable: ${error.message})`);
}

/** {@link waitUntilInPage} with this suite's bound and page view. */
function waitInPage<Result>(
  page: Page,
  what: string,
  predicate: (arg: string) => Result,
  arg: string,
  timeoutMs = WAIT_MS,
): Promise<Result> {
  return waitUntilInPage(page, what, predicate, arg, timeoutMs, viewOf);
}

/** Waits until `#status` shows `state` (text and `data-state`). */
function waitForState(page: Page, state: string, timeoutMs = WAIT_MS): Promise<boolean> {
  return waitInPage(
    page,
    `#status "${state}"`,
    (expected) => {
      const status = document.getElementById('status');
      return status?.textContent === expected && status.getAttribute('data-state') === expected;
    },
    state,
    timeoutMs,
  );
}

/** Waits until `#members` shows `count`. */
function waitForMembers(page: Page, count: number): Promise<boolean> {
  return waitInPage(
    page,
    `#members "${count}"`,
    (expected) => document.getElementById('members')?.textContent === expected,
    String(count),
  );
}

/** Waits until a `#messages` item has exactly this text. */
function waitForLine(page: Page, line: string): Promise<boolean> {
  return waitInPage(
    page,
    `message ${JSON.stringify(line)}`,
    (expected) =>
      Array.from(document.querySelectorAll('#messages li')).some(
        (li) => li.textContent === expected,
      ),
    line,
  );
}

/** Waits until a `#messages` item ends with `suffix`; returns its text. */
function waitForLineEndingWith(page: Page, suffix: string): Promise<string> {
  return waitInPage(
    page,
    `a message ending with ${JSON.stringify(suffix)}`,
    (expected) =>
      Array.from(document.querySelectorAll('#messages li'), (li) => li.textContent ?? '').find(
        (text) => text.endsWith(expected),
      ) ?? false,
    suffix,
  ) as Promise<string>;
}

function linesOf(page: Page): Promise<string[]> {
  return page.locator('#messages li').allTextContents();
}

/** Types into the text box and clicks Send, as a user does. */
async function send(page: Page, text: string): Promise<void> {
  await page.locator('#messageTxt').fill(text);
  await page.locator('#sendBtn').click();
}

describe.each(PLATFORMS)('chat demo on %s in Chromium (playwright-core)', (platform) => {
  let browser: Browser | undefined;
  let server: DemoServer | undefined;
  let context: BrowserContext | undefined;
  /** Per test: uncaught page exceptions, dialogs, and every request (none may leave 127.0.0.1). */
  let watched: WatchedContext | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startDemo(platform);
  });

  beforeEach(async () => {
    watched = await openWatchedContext(browser!, WAIT_MS);
    context = watched.context;
  });

  afterEach(async () => {
    // Closing the context closes its pages, hence their sockets: the next test starts from an
    // empty room, so the counts it sees are its own.
    await context?.close().catch(() => undefined);
    context = undefined;
    if (server !== undefined && !server.closed) {
      await server.probe.until(() => server!.probe.live.size === 0, 'every connection to close');
    }
    watched?.expectClean();
  });

  afterAll(async () => {
    // Each step runs even when another failed, so no browser process or listening port outlives
    // the suite.
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
  });

  /** Opens the demo in a new page and waits for its connection to be open. */
  async function openChat(): Promise<Participant> {
    const demo = server!;
    const before = demo.probe.opened.length;
    const page = await context!.newPage();
    await page.goto(`${demo.url}/`);
    await waitForState(page, 'open');
    return { page, id: await demo.probe.connectionAfter(before) };
  }

  it('two pages chat: both see "From: <id>: <message>" (screenshot in artifacts/)', async () => {
    const alice = await openChat();
    const bob = await openChat();
    expect([alice.id, bob.id]).toEqual([expect.stringMatching(ID), expect.stringMatching(ID)]);

    await send(alice.page, 'Hello Bob');
    const fromAlice = `From: ${alice.id}: Hello Bob`;
    await waitForLine(alice.page, fromAlice);
    await waitForLine(bob.page, fromAlice);
    expect(await alice.page.locator('#messageTxt').inputValue()).toBe('');

    await send(bob.page, 'Hi Alice!');
    const fromBob = `From: ${bob.id}: Hi Alice!`;
    await waitForLine(alice.page, fromBob);
    await waitForLine(bob.page, fromBob);

    // Each message arrives once, in order, on both pages.
    expect(await linesOf(alice.page)).toEqual([fromAlice, fromBob]);
    expect(await linesOf(bob.page)).toEqual([fromAlice, fromBob]);

    await waitForMembers(alice.page, 2);
    mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
    const screenshot = screenshotFile(platform);
    await alice.page.screenshot({ path: screenshot, fullPage: true });
    expect(readFileSync(screenshot).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });

  it('shows the connection state ("open") and the room count as pages come and go', async () => {
    const alice = await openChat();
    await waitForMembers(alice.page, 1);

    const bob = await openChat();
    await waitForMembers(alice.page, 2);
    await waitForMembers(bob.page, 2);
    expect(await server!.rooms.count(CHAT_ROOM)).toBe(2);
    expect(await alice.page.locator('#status').textContent()).toBe('open');

    await bob.page.close();
    await waitForMembers(alice.page, 1);
    expect(await alice.page.locator('#status').getAttribute('data-state')).toBe('open');
  });

  it('a reloaded page gets a new connection id and chats again', async () => {
    const alice = await openChat();
    const bob = await openChat();
    const before = server!.probe.opened.length;

    await bob.page.reload();
    await waitForState(bob.page, 'open');
    const reloadedId = await server!.probe.connectionAfter(before);
    expect(reloadedId).toMatch(ID);
    expect(reloadedId).not.toBe(bob.id);
    expect(reloadedId).not.toBe(alice.id);
    await server!.probe.until(() => !server!.probe.live.has(bob.id), 'the old connection to close');
    await waitForMembers(bob.page, 2);
    await waitForMembers(alice.page, 2);

    await send(bob.page, 'back after a reload');
    const line = `From: ${reloadedId}: back after a reload`;
    await waitForLine(alice.page, line);
    await waitForLine(bob.page, line);
    expect(await linesOf(bob.page)).toEqual([line]);
  });

  it('runs the compat Ws (raw payload text) and the modern WsRoomsClient (decoded values) in a page', async () => {
    const alice = await openChat();
    const before = server!.probe.opened.length;

    // Runs in the page: the same script a site would write, with the globals of /iris-ws.js.
    const seen = await alice.page.evaluate(async (timeoutMs) => {
      const compat = { chat: [] as string[], members: [] as string[] };
      const modern = { chat: [] as unknown[], members: [] as unknown[] };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`in-page clients saw only ${JSON.stringify({ compat, modern })}`));
        }, timeoutMs);
      });
      let sawBoth: () => void = () => undefined;
      const bothSawBoth = new Promise<void>((resolve) => {
        sawBoth = () => {
          if (compat.chat.length >= 2 && modern.chat.length >= 2) resolve();
        };
      });

      const ws = new window.Ws('ws://' + location.host + '/my_endpoint');
      ws.On('members', (message) => compat.members.push(message));
      ws.On('chat', (message) => {
        compat.chat.push(message);
        sawBoth();
      });
      const wsOpen = new Promise<void>((resolve) => ws.OnConnect(resolve));

      const client = new window.WsRooms.WsRoomsClient('/my_endpoint');
      client.on('members', (value) => modern.members.push(value));
      client.on('chat', (value) => {
        modern.chat.push(value);
        sawBoth();
      });
      const clientOpen = new Promise<void>((resolve) => client.onConnect(resolve));

      try {
        await Promise.race([Promise.all([wsOpen, clientOpen]), expired]);
        ws.Emit('chat', 'sent by the compat Ws');
        client.emit('chat', 'sent by WsRoomsClient');
        await Promise.race([bothSawBoth, expired]);
      } finally {
        clearTimeout(timer);
        ws.Disconnect();
        client.close();
      }
      const typesOf = (values: unknown[]): string[] => values.map((value) => typeof value);
      return {
        compat: {
          ...compat,
          chatTypes: typesOf(compat.chat),
          memberTypes: typesOf(compat.members),
        },
        modern: {
          ...modern,
          chatTypes: typesOf(modern.chat),
          memberTypes: typesOf(modern.members),
        },
      };
    }, WAIT_MS);

    // Two new connections, in either order: the compat Ws and the modern client.
    const inPage = server!.probe.opened.slice(before);
    expect(inPage).toHaveLength(2);
    const compatLine = seen.compat.chat.find((line) => line.endsWith(': sent by the compat Ws'));
    const compatId = String(compatLine).slice('From: '.length, -': sent by the compat Ws'.length);
    expect(inPage).toContain(compatId);
    const modernId = inPage.find((id) => id !== compatId)!;
    const lines = [
      `From: ${compatId}: sent by the compat Ws`,
      `From: ${modernId}: sent by WsRoomsClient`,
    ];
    // Both clients are in room1 (the server's connection hook), so each sees both messages.
    expect([...seen.compat.chat].sort()).toEqual([...lines].sort());
    expect([...seen.modern.chat].sort()).toEqual([...lines].sort());
    expect(seen.modern.chatTypes).toEqual(['string', 'string']);

    // `members` goes out as an integer (type digit 1): the Ws hands the page its raw text, as the
    // original did; the modern client decodes it to a number.
    expect(seen.compat.memberTypes.length).toBeGreaterThan(0);
    expect(new Set(seen.compat.memberTypes)).toEqual(new Set(['string']));
    expect(seen.compat.members).toContain('3');
    expect(seen.modern.memberTypes.length).toBeGreaterThan(0);
    expect(new Set(seen.modern.memberTypes)).toEqual(new Set(['number']));
    expect(seen.modern.members).toContain(3);

    // The demo page itself is in room1 too and shows both.
    for (const line of lines) await waitForLine(alice.page, line);
  });

  it('renders a message with HTML as text: no <img>, no dialog, no image request', async () => {
    const alice = await openChat();
    const bob = await openChat();
    const payload = '<img src=x onerror=alert(1)>';

    await send(alice.page, payload);
    const line = `From: ${alice.id}: ${payload}`;
    await waitForLine(alice.page, line);
    await waitForLine(bob.page, line);
    // A later message has made the round trip too: had an <img> been created, its load error (and
    // the alert) would have had every chance to happen by now.
    await send(bob.page, 'after the payload');
    await waitForLine(alice.page, `From: ${bob.id}: after the payload`);
    await waitForLine(bob.page, `From: ${bob.id}: after the payload`);

    for (const { page } of [alice, bob]) {
      expect(await page.locator('#messages li').first().textContent()).toBe(line);
      expect(await page.locator('#messages li').first().innerHTML()).toContain('&lt;img');
      expect(await page.locator('#messages img').count()).toBe(0);
      expect(await page.locator('img').count()).toBe(0);
    }
    expect(watched!.dialogs).toEqual([]);
    expect(watched!.requests.filter((url) => new URL(url).pathname === '/x')).toEqual([]);
  });

  // Last, so that a failure here cannot leave the other tests without a server.
  it('the modern client reconnects by itself after a server restart on the same port; the server restores room1', async () => {
    const alice = await openChat();
    const bob = await openChat();
    await waitForMembers(alice.page, 2);
    await waitForMembers(bob.page, 2);
    for (const { page } of [alice, bob]) {
      await page.evaluate(() => {
        const demo = window as unknown as DemoWindow;
        const watch: RestartWatch = { disconnects: [], states: [], membersSinceOpen: [] };
        demo.restartWatch = watch; // a reload would drop it
        demo.chatClient.onDisconnect((info) => watch.disconnects.push(info));
        demo.chatClient.onStateChange((state) => {
          watch.states.push(state);
          if (state === 'open') watch.membersSinceOpen = [];
        });
        demo.chatClient.on('members', (count) => watch.membersSinceOpen.push(count));
      });
    }
    const watchOf = (page: Page): Promise<RestartWatch | undefined> =>
      page.evaluate(() => (window as unknown as DemoWindow).restartWatch);

    const port = server!.port;
    const oldIds = [alice.id, bob.id];
    // Graceful shutdown: every client receives close 1001 ("going away"), which the default
    // reconnect policy retries.
    await server!.close();
    for (const { page } of [alice, bob]) {
      await waitForState(page, 'reconnecting');
      expect((await watchOf(page))?.disconnects).toEqual([
        { code: 1001, reason: 'server shutting down', wasClean: true, willReconnect: true },
      ]);
    }

    server = await startDemo(platform, port);
    expect(server.port).toBe(port);
    for (const { page } of [alice, bob]) {
      await waitForState(page, 'open', RECONNECT_WAIT_MS);
      // A fresh count from the new server: #members still shows the one from before the restart.
      await waitInPage(
        page,
        'a "members" event of 2 since reconnecting',
        (expected) =>
          (window as unknown as DemoWindow).restartWatch?.membersSinceOpen.some(
            (count) => count === Number(expected),
          ) ?? false,
        '2',
      );
      await waitForMembers(page, 2);
    }
    await server.probe.until(() => server!.probe.live.size === 2, 'both pages to reconnect');
    const newIds = [...server.probe.live];
    expect(newIds.filter((id) => oldIds.includes(id))).toEqual([]);

    // Rooms live on the server and a restart forgets them: the demo's connection hook joins every
    // (re)connection to room1, so the pages chat in the room again without sending anything first.
    await send(alice.page, 'still here after the restart');
    const fromAlice = await waitForLineEndingWith(bob.page, ': still here after the restart');
    const aliceId = fromAlice.slice('From: '.length, -': still here after the restart'.length);
    expect(newIds).toContain(aliceId);
    expect(fromAlice).toBe(`From: ${aliceId}: still here after the restart`);
    await waitForLine(alice.page, fromAlice);

    const bobId = newIds.find((id) => id !== aliceId)!;
    await send(bob.page, 'me too');
    await waitForLine(alice.page, `From: ${bobId}: me too`);
    await waitForLine(bob.page, `From: ${bobId}: me too`);
    expect((await server.rooms.members(CHAT_ROOM)).sort()).toEqual([...newIds].sort());

    for (const { page } of [alice, bob]) {
      const watch = await watchOf(page);
      expect(watch?.states).toEqual(['reconnecting', 'open']); // and no reload: the watch survived
    }
  });
});
