import type { IncomingMessage } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, ROOT } from '../support/chromium';
import {
  ConnectedSocket,
  MessageBody,
  OnEvent,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { ProtocolClient } from '../support/protocol-client';
import { upgradeRequest } from '../support/raw-socket';
import { type RunningApp, startApp } from '../support/test-app';

// The live dashboard in a real browser: Debian's Chromium (`apt-get install chromium`) driven by
// playwright-core, against a fixture app on 127.0.0.1 whose endpoint carries traffic from ws clients.

const SCREENSHOT = join(ROOT, 'artifacts', 'dashboard.png');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const DASHBOARD = '/ws-rooms/dashboard';
const TOKEN_COOKIE = 'ops-token';
const TOKEN = 'let-me-see';
/** Room names are user-controlled: these must show as text, never as markup. */
const HOSTILE_ROOM = '<img src=x onerror="window.__pwned=1">';
const QUOTED_ROOM = 'Tom & "Jerry" <b>fans</b>';

/** Bound of one wait for the page (a 2-core CI runner is slow); updates come every second. */
const WAIT_MS = 15_000;

jest.setTimeout(90_000);

function authorize(request: IncomingMessage): boolean {
  const cookies = request.headers.cookie ?? '';
  return cookies.split(/;\s*/).includes(`${TOKEN_COOKIE}=${TOKEN}`);
}

@WsRoomsGateway()
class RoomGateway {
  @OnEvent('join')
  async join(@ConnectedSocket() c: WsConnection, @MessageBody() room: string): Promise<string> {
    await c.join(room);
    return room;
  }

  @OnEvent('say')
  say(@ConnectedSocket() c: WsConnection, @MessageBody() body: { room: string; text: string }) {
    c.to(body.room).emit('said', body.text);
  }
}

/** What the dashboard shows, for timeout messages. */
function viewOf(page: Page): Promise<unknown> {
  return page
    .evaluate(() => ({
      status: document.getElementById('status')?.getAttribute('data-state'),
      connections: document.getElementById('connections')?.textContent,
      rooms: Array.from(document.querySelectorAll('#rooms tbody tr'), (tr) => tr.textContent),
      samples: document.getElementById('chart')?.getAttribute('data-samples'),
      in: document.getElementById('chart-in')?.getAttribute('points'),
      error: document.getElementById('feed-error')?.textContent,
    }))
    .catch((error: Error) => `(page unavailable: ${error.message})`);
}

/** Waits (Playwright polls on animation frames) until `predicate(arg)` holds in the page. */
async function waitInPage(
  page: Page,
  what: string,
  predicate: (arg: string) => boolean,
  arg = '',
): Promise<void> {
  try {
    // Polled on a timer rather than on animation frames, which a loaded machine may throttle.
    await page.waitForFunction(predicate, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (error) {
    const view = JSON.stringify(await viewOf(page));
    throw new Error(`${what}: not seen within ${WAIT_MS} ms; the page shows ${view}`, {
      cause: error,
    });
  }
}

function waitForConnections(page: Page, count: number): Promise<void> {
  return waitInPage(
    page,
    `${count} connections`,
    (expected) => document.getElementById('connections')?.textContent === expected,
    String(count),
  );
}

/** The rows of the rooms table, as [name, members] in the page's order. */
function roomRows(page: Page): Promise<[string, string][]> {
  return page.evaluate(() =>
    Array.from(
      document.querySelectorAll('#rooms tbody tr'),
      (tr) =>
        [
          tr.querySelector('td.room')?.textContent ?? '',
          tr.querySelector('td.members')?.textContent ?? '',
        ] as [string, string],
    ),
  );
}

describe('dashboard in Chromium (real browser, playwright-core)', () => {
  let browser: Browser | undefined;
  let running: RunningApp | undefined;
  let context: BrowserContext | undefined;
  const clients: ProtocolClient[] = [];
  let pageErrors: string[] = [];
  let consoleErrors: string[] = [];
  let dialogs: string[] = [];
  let requests: string[] = [];
  let appUrl = '';

  beforeAll(async () => {
    browser = await launchChromium();
  });

  beforeEach(async () => {
    running = await startApp({
      imports: [WsRoomsModule.forRoot({ endpoint: '/ws', dashboard: { authorize } })],
      providers: [RoomGateway],
    });
    appUrl = running.httpUrl;
    pageErrors = [];
    consoleErrors = [];
    dialogs = [];
    requests = [];
    context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(WAIT_MS);
    context.on('request', (request) => requests.push(request.url()));
    context.on('page', (page) => {
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss().catch(() => undefined);
      });
    });
  });

  afterEach(async () => {
    await context?.close().catch(() => undefined);
    context = undefined;
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
    await running?.close();
    running = undefined;
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
    // Everything the page needs is served by the app: no CDN, no external asset.
    expect(requests.filter((url) => !url.startsWith(`${appUrl}/`))).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
  });

  async function connectAndJoin(room: string): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(running!.wsUrl('/ws'));
    clients.push(client);
    client.emit('join', room);
    await client.nextEvent('join');
    return client;
  }

  async function openDashboard(): Promise<Page> {
    await context!.addCookies([{ name: TOKEN_COOKIE, value: TOKEN, url: running!.httpUrl }]);
    const page = await context!.newPage();
    const response = await page.goto(`${running!.httpUrl}${DASHBOARD}`);
    expect(response?.status()).toBe(200);
    await waitInPage(
      page,
      'the feed open',
      () => document.getElementById('status')?.getAttribute('data-state') === 'open',
    );
    return page;
  }

  it('shows live connections, rooms and message rates (screenshot in artifacts/)', async () => {
    const alice = await connectAndJoin('lobby');
    const bob = await connectAndJoin('lobby');
    await connectAndJoin(HOSTILE_ROOM);
    await connectAndJoin(QUOTED_ROOM);

    const page = await openDashboard();
    await waitForConnections(page, 4);
    expect(await roomRows(page)).toEqual([
      ['lobby', '2'],
      [HOSTILE_ROOM, '1'],
      [QUOTED_ROOM, '1'],
    ]);
    expect(await page.locator('#room-count').textContent()).toBe('3');
    // The hostile name is text: no element was created from it, no script ran.
    expect(await page.locator('#rooms img, #rooms b').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();

    // Traffic: the rates of the next seconds are no longer zero, and the chart draws them.
    for (let i = 0; i < 30; i++)
      alice.send('say', 4, JSON.stringify({ room: 'lobby', text: `${i}` }));
    for (let i = 0; i < 30; i++) await bob.nextEvent('said');
    await waitInPage(page, 'a chart of at least two samples with messages in', () => {
      const points = (document.getElementById('chart-in')?.getAttribute('points') ?? '')
        .split(' ')
        .filter(Boolean)
        .map((point) => Number(point.split(',')[1]));
      // SVG y grows downwards: a point above the baseline (200) is a non-zero rate. The chart
      // keeps it for a minute, so this wait does not depend on catching one particular second.
      return points.length >= 2 && points.some((y) => y < 200);
    });
    mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(readFileSync(SCREENSHOT).subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(await page.locator('#rate-in').textContent()).toMatch(/^\d[\d,]*(\.\d+)?$/);
    const out = await page.locator('#chart-out').getAttribute('points');
    expect((out ?? '').split(' ').filter(Boolean).length).toBeGreaterThanOrEqual(2);
    await waitInPage(
      page,
      'the counters of the 34 messages in (4 joins, 30 says)',
      () => document.querySelector('#totals td[data-key="messagesIn"]')?.textContent === '34',
    );

    // Live: a connection that comes and goes shows up, then leaves.
    const dave = await connectAndJoin('lobby');
    await waitForConnections(page, 5);
    await waitInPage(page, 'lobby with 3 members', () =>
      Array.from(document.querySelectorAll('#rooms tbody tr')).some(
        (tr) => tr.textContent === 'lobby3',
      ),
    );
    clients.splice(clients.indexOf(dave), 1);
    await dave.close();
    await waitForConnections(page, 4);

    // The page's Content-Security-Policy let its own scripts, style and feed through.
    expect(consoleErrors).toEqual([]);
  });

  it('refuses the page, its script and its feed to requests that authorize refuses (403)', async () => {
    const page = await context!.newPage();
    const response = await page.goto(`${running!.httpUrl}${DASHBOARD}`);
    expect(response?.status()).toBe(403);
    expect(await page.locator('body').textContent()).toBe('Forbidden');
    const script = await page.goto(`${running!.httpUrl}${DASHBOARD}/dashboard.js`);
    expect(script?.status()).toBe(403);

    const feed = `${DASHBOARD}/ws`;
    expect((await upgradeRequest(running!.port, feed)).status).toBe(403);
    const cookie = `${TOKEN_COOKIE}=${TOKEN}`;
    // The endpoint's origin policy applies to the feed too, before authorize.
    const crossOrigin = await upgradeRequest(running!.port, feed, {
      Cookie: cookie,
      Origin: 'http://evil.example',
    });
    expect([crossOrigin.status, crossOrigin.body]).toEqual([403, 'Origin not allowed']);
    expect((await upgradeRequest(running!.port, feed, { Cookie: cookie })).status).toBe(101);
    // Chromium reports the refused page as a failed resource load: expected here.
    consoleErrors = [];
  });
});
