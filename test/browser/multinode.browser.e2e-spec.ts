import { Module, type Type } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type WebSocket from 'ws';
import { ConnectionsService, RedisRoomStore, type RoomStore, RoomsService } from 'ws-rooms';
import type { PresenceMember, RecoveryResult } from 'ws-rooms/client';
import {
  ClientPageController,
  launchChromium,
  openWatchedContext,
  type WatchedContext,
  waitUntilInPage,
} from '../support/chromium';
import { eventually, ProtocolClient } from '../support/protocol-client';
import { type RunningApp, startApp } from '../support/test-app';
import { extensionsModule } from '../redis/fixtures/extensions-module';
import { type RedisServer, startRedisServer } from '../redis/support/redis-server';
import { startSwitchingProxy, type SwitchingProxy } from '../support/switching-proxy';
import {
  clientPageView,
  type ClientPageWindow,
  firstSession,
  startPageClient,
} from '../support/client-page';

// Presence and recovery across two nodes sharing a real redis-server, with the modern client of
// /iris-ws.js in a real browser: Debian's Chromium driven by playwright-core. Each node is an
// in-process Nest app on 127.0.0.1 (the multi-node extensions fixture: presence in the `p-` rooms,
// recovery, `join` / `leave` / `say`) that also serves a blank page. A TCP forwarder stands in for
// the load balancer, so that a page reconnecting to the same URL lands on the other node.

const ID = /^[A-Za-z0-9_-]{22}$/;

/** Bound of one wait for something the page or the server must show (a 2-core CI runner is slow). */
const WAIT_MS = 10_000;
/** The recovering page waits this long before reconnecting: time to broadcast while it is away. */
const RECONNECT_DELAY_MS = 500;
/** Short heartbeats: a dead node is noticed within about a second. */
const FAST_HEARTBEAT = { heartbeatInterval: 100, heartbeatTtl: 600, requestTimeout: 1000 };
/** Unique to this run, so that nothing else in the redis-server is shared with the nodes. */
const PREFIX = `mnbrowser-${process.pid}-${Date.now()}`;

jest.setTimeout(60_000);

/** One node: the extensions fixture on `store`, plus the blank page. */
function browserNodeModule(store: RoomStore): Type<unknown> {
  @Module({ imports: [extensionsModule(store)], controllers: [ClientPageController] })
  class BrowserNodeModule {}
  return BrowserNodeModule;
}

/** A page with a connected client, and the connection id it reported. */
interface BrowserClient {
  readonly page: Page;
  readonly id: string;
}

/** {@link waitUntilInPage} with this suite's bound and page view. */
function waitInPage<Result>(
  page: Page,
  what: string,
  predicate: (arg: string) => Result,
  arg = '',
  timeoutMs = WAIT_MS,
): Promise<Result> {
  return waitUntilInPage(page, what, predicate, arg, timeoutMs, (page) =>
    clientPageView(page, ['p-lobby']),
  );
}

/** Waits until the page's `client.presence(room)` is exactly `members`. */
async function waitForPresence(
  page: Page,
  what: string,
  room: string,
  members: readonly PresenceMember[],
): Promise<void> {
  await waitInPage(
    page,
    what,
    (arg) => {
      const { room, expected } = JSON.parse(arg) as { room: string; expected: string };
      return (
        JSON.stringify((window as unknown as ClientPageWindow).client.presence(room)) === expected
      );
    },
    JSON.stringify({ room, expected: JSON.stringify(members) }),
  );
  expect(
    await page.evaluate(
      (room) => (window as unknown as ClientPageWindow).client.presence(room),
      room,
    ),
  ).toEqual(members);
}

describe('presence and recovery across two Redis nodes in Chromium (real browser, playwright-core)', () => {
  let redis: RedisServer | undefined;
  const nodes: RunningApp[] = [];
  let proxy: SwitchingProxy | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const senders: ProtocolClient[] = [];
  /** Per test: records uncaught page exceptions and every request (none may leave 127.0.0.1). */
  let watched: WatchedContext | undefined;

  const connections = (node: number): ConnectionsService => nodes[node].app.get(ConnectionsService);
  const rooms = (node: number): RoomsService => nodes[node].app.get(RoomsService);

  beforeAll(async () => {
    browser = await launchChromium();
    redis = await startRedisServer();
    for (let i = 0; i < 2; i++) {
      const store = new RedisRoomStore({
        url: redis.url,
        prefix: PREFIX,
        nodeId: `${PREFIX}-node${i}`,
        ...FAST_HEARTBEAT,
      });
      nodes.push(await startApp({ imports: [browserNodeModule(store)] }));
    }
    proxy = await startSwitchingProxy(nodes[0].port);
  });

  beforeEach(async () => {
    watched = await openWatchedContext(browser!, WAIT_MS);
    context = watched.context;
  });

  afterEach(async () => {
    // Closing the context closes its pages, hence their sockets: the next test starts alone.
    await context?.close().catch(() => undefined);
    context = undefined;
    await Promise.all(senders.splice(0).map((sender) => sender.close()));
    if (proxy !== undefined) proxy.target = nodes[0].port;
    await eventually(
      () => nodes.every((node) => node.app.get(ConnectionsService).count === 0),
      WAIT_MS,
      'every connection on every node to close',
    );
    watched?.expectClean();
  });

  afterAll(async () => {
    // Each step runs even when another failed, so no browser process, listening port or
    // redis-server outlives the suite.
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await Promise.all(senders.splice(0).map((sender) => sender.close().catch(() => undefined)));
    await proxy?.close().catch(() => undefined);
    for (const node of nodes.splice(0)) await node.close().catch(() => undefined);
    await redis?.kill().catch(() => undefined);
  });

  /**
   * Opens the blank page at `pageUrl`, creates `window.client` (a recovering WsRoomsClient on
   * `wsUrl`) with its recorders, and waits for its first session: the id the page reports, which
   * `node` must hold for the principal `name`.
   */
  async function openClient(
    pageUrl: string,
    wsUrl: string,
    name: string,
    node: number,
    reconnectDelayMs?: number,
  ): Promise<BrowserClient> {
    const page = await context!.newPage();
    await page.goto(pageUrl);
    await startPageClient(page, `${wsUrl}?name=${encodeURIComponent(name)}`, reconnectDelayMs);
    const first = await firstSession(page, `the first session of ${name}`, WAIT_MS);
    expect(first).toEqual({ status: 'fresh', recovered: false, id: expect.stringMatching(ID) });
    const id = (first as RecoveryResult).id;
    await eventually(() => connections(node).has(id), WAIT_MS, `${name} on node ${node}`);
    expect((connections(node).get(id)!.principal as { name: string }).name).toBe(name);
    return { page, id };
  }

  /** Runs `client.request(event, value)` in the page and returns the reply (rejects on an error). */
  function requestInPage(page: Page, event: string, value: unknown): Promise<unknown> {
    return page.evaluate(
      ({ event, value }) =>
        (window as unknown as ClientPageWindow).client.request(event, value, { timeout: 5000 }),
      { event, value },
    );
  }

  /** A raw client on a node that says things to rooms. */
  async function sender(node: number): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(nodes[node].wsUrl('/ws?name=sender'));
    senders.push(client);
    return client;
  }

  /** Asks the sender's node to broadcast `text` to `room`, and waits for its reply. */
  async function say(from: ProtocolClient, room: string, text: string): Promise<void> {
    from.send('say', 4, JSON.stringify({ room, text }));
    await from.nextEvent('say', WAIT_MS);
  }

  it('shows members of both nodes in every page, in join order; a leave on node 1 reaches the page on node 0', async () => {
    const alice = await openClient(nodes[0].httpUrl + '/', nodes[0].wsUrl('/ws'), 'alice', 0);
    const bob = await openClient(nodes[1].httpUrl + '/', nodes[1].wsUrl('/ws'), 'bob', 1);
    expect(await requestInPage(alice.page, 'join', 'p-lobby')).toEqual([alice.id, 'p-lobby']);
    expect(await requestInPage(bob.page, 'join', 'p-lobby')).toEqual([bob.id, 'p-lobby']);

    const both: PresenceMember[] = [
      { id: alice.id, meta: { name: 'alice' } },
      { id: bob.id, meta: { name: 'bob' } },
    ];
    await waitForPresence(alice.page, 'alice sees alice and bob', 'p-lobby', both);
    await waitForPresence(bob.page, 'bob sees alice and bob', 'p-lobby', both);
    for (const node of [0, 1]) {
      const detailed = await rooms(node).presenceDetailed('p-lobby');
      expect({ members: detailed.value, partial: detailed.partial }).toEqual({
        members: both,
        partial: false,
      });
    }

    expect(await requestInPage(bob.page, 'leave', 'p-lobby')).toEqual([bob.id]);
    await waitForPresence(alice.page, 'alice sees bob leave', 'p-lobby', [both[0]]);
    await waitForPresence(bob.page, 'bob no longer sees the room', 'p-lobby', []);
    expect(
      await alice.page.evaluate(() =>
        (window as unknown as ClientPageWindow).presenceChanges.filter((c) => c.type === 'left'),
      ),
    ).toEqual([expect.objectContaining({ type: 'left', room: 'p-lobby', id: bob.id })]);
    expect(await rooms(0).presence('p-lobby')).toEqual([both[0]]);
    expect(await rooms(1).presence('p-lobby')).toEqual([both[0]]);
  });

  it('recovers on the other node behind the proxy: same id, the missed messages once and in order', async () => {
    const entry = `127.0.0.1:${proxy!.port}`;
    const carol = await openClient(
      `http://${entry}/`,
      `ws://${entry}/ws`,
      'carol',
      0,
      RECONNECT_DELAY_MS,
    );
    const { page, id } = carol;
    // The page's origin is the proxy's: the page and its socket went through it, to node 0.
    expect(await page.evaluate(() => location.host)).toBe(entry);
    expect(connections(1).has(id)).toBe(false);
    expect(await requestInPage(page, 'join', 'news')).toEqual([id, 'news']);

    const fromNode1 = await sender(1);
    await say(fromNode1, 'news', 'm1');
    await waitInPage(
      page,
      'm1, said on node 1',
      () => (window as unknown as ClientPageWindow).received.length === 1,
    );

    // The balancer now sends new connections to node 1; node 0 loses the page's socket.
    proxy!.target = nodes[1].port;
    (connections(0).get(id) as unknown as { ws: WebSocket }).ws.terminate();
    await eventually(() => !connections(0).has(id), WAIT_MS, 'node 0 to drop carol');
    await say(fromNode1, 'news', 'm2');
    await say(fromNode1, 'news', 'm3');
    // Said while the page was away: it has not reconnected yet.
    expect(connections(1).has(id)).toBe(false);

    const recovery = await waitInPage(
      page,
      'the recovery on node 1',
      () => (window as unknown as ClientPageWindow).recoveries[1] ?? false,
    );
    expect(recovery).toEqual({ status: 'recovered', recovered: true, id });
    expect(await page.evaluate(() => (window as unknown as ClientPageWindow).client.id)).toBe(id);
    expect(connections(1).has(id)).toBe(true);
    expect(connections(0).has(id)).toBe(false);
    expect(connections(1).get(id)!.recovered).toBe(true);
    expect((connections(1).get(id)!.principal as { name: string }).name).toBe('carol');

    // A live message after the recovery arrives too, and nothing is repeated before it.
    await say(fromNode1, 'news', 'm4');
    await waitInPage(page, 'm4, live after the recovery', () =>
      (window as unknown as ClientPageWindow).received.includes('m4'),
    );
    expect(await page.evaluate(() => (window as unknown as ClientPageWindow).received)).toEqual([
      'm1',
      'm2',
      'm3',
      'm4',
    ]);
    expect(await page.evaluate(() => (window as unknown as ClientPageWindow).client.id)).toBe(id);
    expect(await page.evaluate(() => (window as unknown as ClientPageWindow).states)).toEqual([
      'open',
      'reconnecting',
      'open',
    ]);
    expect(await rooms(0).roomsOf(id)).toEqual(['news']);
  });
});
