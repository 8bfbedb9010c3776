import type { Page } from 'playwright-core';
import type { PresenceChange, RecoveryResult, WsRoomsClient } from 'ws-rooms/client';
import { waitUntilInPage } from './chromium';

/**
 * What a page of the browser suites keeps in its window: the modern client from `/iris-ws.js` and
 * what it saw (sessions, presence changes, `said` values, states), for the test to read.
 */
export interface ClientPageWindow extends Window {
  client: WsRoomsClient;
  recoveries: RecoveryResult[];
  presenceChanges: PresenceChange[];
  received: unknown[];
  states: string[];
}

/**
 * Creates `window.client` in a page that loaded the client bundle: a recovering WsRoomsClient on
 * `url`, its reconnect delay fixed when `reconnectDelayMs` is given, with its recorders.
 */
export function startPageClient(page: Page, url: string, reconnectDelayMs?: number): Promise<void> {
  return page.evaluate(
    ({ url, reconnectDelayMs }) => {
      const w = window as unknown as ClientPageWindow;
      w.recoveries = [];
      w.presenceChanges = [];
      w.received = [];
      w.states = [];
      w.client =
        reconnectDelayMs === undefined
          ? new w.WsRooms.WsRoomsClient(url, { recovery: true })
          : new w.WsRooms.WsRoomsClient(url, {
              recovery: true,
              reconnect: { initialDelay: reconnectDelayMs, jitter: false },
            });
      w.client.onRecovery((result) => w.recoveries.push(result));
      w.client.onPresence((change) => w.presenceChanges.push(change));
      w.client.onStateChange((state) => w.states.push(state));
      w.client.on('said', (value) => w.received.push(value));
    },
    { url, reconnectDelayMs },
  );
}

/** What a client page shows, for timeout messages; `rooms` adds the presence of those rooms. */
export function clientPageView(page: Page, rooms: readonly string[] = []): Promise<unknown> {
  return page
    .evaluate((rooms) => {
      const w = window as unknown as ClientPageWindow;
      return {
        location: location.href,
        state: w.client?.state,
        id: w.client?.id,
        presence: Object.fromEntries(rooms.map((room) => [room, w.client?.presence(room)])),
        recoveries: w.recoveries,
        presenceChanges: w.presenceChanges,
        received: w.received,
        states: w.states,
      };
    }, rooms)
    .catch((error: Error) => `(page unavailable: ${error.message})`);
}

/** Waits for the page client's first session and returns it. */
export async function firstSession(page: Page, what: string, timeoutMs: number): Promise<unknown> {
  return waitUntilInPage(
    page,
    what,
    () => (window as unknown as ClientPageWindow).recoveries[0] ?? false,
    '',
    timeoutMs,
    (page) => clientPageView(page),
  );
}
