import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, as `.ci/run` does); never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless as root, and nothing that would reach for the network beyond the page under test. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--metrics-recording-only',
  '--no-default-browser-check',
  // Containers often give /dev/shm 64 MB, too little for Chromium's renderers: use /tmp instead.
  '--disable-dev-shm-usage',
];

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');
const ASSETS = join(ROOT, 'libs', 'ws-rooms', 'assets');

/**
 * Launches Chromium for a browser suite, after making sure the served client bundle is current.
 * A missing Chromium fails the suite with the command that installs it: browser suites never skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the browser suites need it ` +
        '(apt-get update && apt-get install -y chromium; CI installs it in .ci/run)',
    );
  }
  ensureClientBundles();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/**
 * The pages load the bundle served at /iris-ws.js. This builds the client from its current
 * sources into a scratch folder and moves over whichever file is missing or different (a fresh
 * checkout, or client sources edited without `npm run build:client`). A rename replaces a file
 * atomically, so another suite reading the bundle at that moment sees the old or the new file,
 * never half of one.
 */
export function ensureClientBundles(): void {
  mkdirSync(ASSETS, { recursive: true });
  const fresh = mkdtempSync(join(ASSETS, '.fresh-'));
  try {
    // Piped, so that a failed build's messages end up in the thrown error.
    const build = join(ROOT, 'scripts', 'build-client.mjs');
    execFileSync(process.execPath, [build, '--out-dir', fresh], { cwd: ROOT, stdio: 'pipe' });
    for (const name of ['iris-ws.js', 'ws-rooms-client.mjs']) {
      const built = join(fresh, name);
      const served = join(ASSETS, name);
      if (!existsSync(served) || !readFileSync(built).equals(readFileSync(served))) {
        renameSync(built, served);
      }
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

/** A blank page that loads the served client bundle (globals `Ws` and `WsRooms`). */
export const CLIENT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>ws-rooms</title></head>
<body>
  <script src="/iris-ws.js"></script>
</body>
</html>
`;

/** Serves {@link CLIENT_PAGE} at `/`, so the page and its websocket share one origin. */
@Controller()
export class ClientPageController {
  @Get('/')
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return CLIENT_PAGE;
  }
}

/** A browser context that records what must not happen in a test: page errors, outside requests, dialogs. */
export interface WatchedContext {
  readonly context: BrowserContext;
  /** Uncaught exceptions of its pages. */
  readonly pageErrors: string[];
  /** Every URL its pages requested. */
  readonly requests: string[];
  /** Dialogs its pages opened (`<type>: <message>`), each dismissed at once. */
  readonly dialogs: string[];
  /** Asserts no page error and no request beyond 127.0.0.1. */
  expectClean(): void;
}

/** Opens a context whose waits default to `timeoutMs`, recording page errors, requests and dialogs. */
export async function openWatchedContext(
  browser: Browser,
  timeoutMs: number,
): Promise<WatchedContext> {
  const context = await browser.newContext();
  context.setDefaultTimeout(timeoutMs);
  const pageErrors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  context.on('page', (page) => {
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
  });
  return {
    context,
    pageErrors,
    requests,
    dialogs,
    expectClean: () => {
      expect(pageErrors).toEqual([]);
      expect(requests.filter((url) => !url.startsWith('http://127.0.0.1:'))).toEqual([]);
    },
  };
}

/**
 * Waits (Playwright polls on animation frames) until `predicate(arg)` is truthy in the page; on a
 * timeout the error says what was awaited and what `view(page)` saw there.
 */
export async function waitUntilInPage<Result>(
  page: Page,
  what: string,
  predicate: (arg: string) => Result,
  arg: string,
  timeoutMs: number,
  view: (page: Page) => Promise<unknown>,
): Promise<Result> {
  try {
    const handle = await page.waitForFunction(predicate, arg, { timeout: timeoutMs });
    return (await handle.jsonValue()) as Result;
  } catch (error) {
    const seen = JSON.stringify(await view(page));
    throw new Error(`${what}: not seen within ${timeoutMs} ms; the page holds ${seen}`, {
      cause: error,
    });
  }
}
