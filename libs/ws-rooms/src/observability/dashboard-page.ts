import { createHash } from 'node:crypto';
import type { WsRoomsStats } from '../server/server-stats';
import type { DashboardSnapshot } from './dashboard-snapshot';

/** Where the page finds its scripts and its feed. */
export interface DashboardPageLinks {
  /** The browser client (`/iris-ws.js`). */
  readonly clientScript: string;
  /** The page's own script. */
  readonly script: string;
  /** The websocket feed. */
  readonly feed: string;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** The counters of the totals table, in display order, with their labels. */
const TOTALS: readonly (readonly [keyof WsRoomsStats, string])[] = [
  ['connectionsOpened', 'Connections opened'],
  ['upgradesRefused', 'Upgrades refused'],
  ['messagesIn', 'Messages in'],
  ['messagesOut', 'Messages out'],
  ['bytesIn', 'Bytes in'],
  ['bytesOut', 'Bytes out'],
  ['unhandledEvents', 'Unhandled events'],
  ['malformedMessages', 'Malformed messages'],
  ['handlerErrors', 'Handler errors'],
  ['volatileDrops', 'Volatile drops'],
  ['slowConsumerCuts', 'Slow-consumer cuts'],
  ['rateLimitCuts', 'Rate-limit cuts'],
  ['pongTimeouts', 'Pong timeouts'],
];

const STYLE = `
:root { color-scheme: light; --in: #2563eb; --out: #ea580c; --line: #e5e7eb; --muted: #6b7280; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; background: #f9fafb; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0 0 20px; color: var(--muted); }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; }
#status { font-weight: 600; }
#status[data-state="open"] { color: #15803d; }
#status[data-state="reconnecting"], #status[data-state="connecting"] { color: #b45309; }
#status[data-state="closed"] { color: #b91c1c; }
#feed-error { color: #b91c1c; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin-bottom: 20px; }
.card, section.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 12px; margin-bottom: 12px; }
section.panel h2 { margin: 0 0 10px; font-size: 15px; }
section.panel h2:not(:first-child) { margin-top: 18px; }
section.panel h2 small { color: var(--muted); font-weight: 400; }
#chart { width: 100%; height: auto; display: block; }
#chart .grid-line { stroke: var(--line); stroke-width: 1; }
#chart .baseline { stroke: #9ca3af; stroke-width: 1; }
#chart .axis-label { fill: var(--muted); font-size: 11px; }
#chart polyline { fill: none; stroke-width: 2; stroke-linejoin: round; }
#chart-in { stroke: var(--in); }
#chart-out { stroke: var(--out); }
.legend span { display: inline-block; margin-right: 14px; color: var(--muted); }
.legend i { display: inline-block; width: 12px; height: 3px; margin-right: 6px; vertical-align: middle; }
.legend .in i { background: var(--in); }
.legend .out i { background: var(--out); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 5px 6px; border-bottom: 1px solid var(--line); }
td.members, #totals td { text-align: right; font-variant-numeric: tabular-nums; }
td.room { word-break: break-all; }
ul.record { margin: 0; padding-left: 18px; }
ul.record li.none { list-style: none; margin-left: -18px; color: var(--muted); }
`;

/**
 * The Content-Security-Policy of the page: its own scripts only, its stylesheet by hash, and
 * connections to its own origin; nothing is loaded from anywhere else.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "connect-src 'self'",
  // The empty data: icon below keeps the browser from asking the app for /favicon.ico.
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The dashboard page, already showing `snapshot`; its script keeps it live. Every value from the
 * server, room names first, is escaped.
 */
export function renderDashboardPage(
  snapshot: DashboardSnapshot,
  links: DashboardPageLinks,
): string {
  const name = escapeHtml(snapshot.endpoint.name);
  const number = (value: number) => escapeHtml(value.toLocaleString('en-US'));
  const rooms = snapshot.rooms
    .map(
      (room) =>
        `<tr><td class="room">${escapeHtml(room.name)}</td><td class="members">${number(room.members)}</td></tr>`,
    )
    .join('');
  const totals = TOTALS.map(
    ([key, label]) =>
      `<tr><th>${escapeHtml(label)}</th><td data-key="${escapeHtml(key)}">${number(snapshot.totals[key] as number)}</td></tr>`,
  ).join('');
  const gridLines = [0.25, 0.5, 0.75, 1]
    .map((fraction) => {
      const y = 200 - fraction * 192;
      return `<line class="grid-line" x1="0" x2="600" y1="${y}" y2="${y}"></line>`;
    })
    .join('');
  const baseline = '<line class="baseline" x1="0" x2="600" y1="200" y2="200"></line>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>ws-rooms dashboard - ${name}</title>
<style>${STYLE}</style>
</head>
<body data-feed="${escapeHtml(links.feed)}">
<header>
<h1>ws-rooms dashboard - ${name}</h1>
<p>Endpoint <code>${escapeHtml(snapshot.endpoint.path)}</code> on this node · feed <span id="status" data-state="connecting">connecting</span> · updated <span id="updated">-</span> <span id="feed-error"></span></p>
</header>
<div class="cards">
<div class="card"><div class="label">Connections</div><div class="value" id="connections">${number(snapshot.connections)}</div></div>
<div class="card"><div class="label">Rooms</div><div class="value" id="room-count">${number(snapshot.roomCount)}</div></div>
<div class="card"><div class="label">Messages in /s</div><div class="value" id="rate-in">${number(snapshot.rates.in)}</div></div>
<div class="card"><div class="label">Messages out /s</div><div class="value" id="rate-out">${number(snapshot.rates.out)}</div></div>
</div>
<div class="grid">
<section class="panel">
<h2>Message rates <small>last 60 s, per second</small></h2>
<svg id="chart" viewBox="0 0 600 222" preserveAspectRatio="none" role="img" aria-label="Messages in and out per second over the last minute" data-samples="0">
${gridLines}${baseline}
<polyline id="chart-in" data-series="in" points=""></polyline>
<polyline id="chart-out" data-series="out" points=""></polyline>
<text class="axis-label" x="4" y="18" id="chart-scale"></text>
<text class="axis-label" x="4" y="110" id="chart-half"></text>
<text class="axis-label" x="0" y="218">-60 s</text>
<text class="axis-label" x="600" y="218" text-anchor="end">now</text>
</svg>
<p class="legend"><span class="in"><i></i>in</span><span class="out"><i></i>out</span></p>
</section>
<section class="panel">
<h2>Counters</h2>
<table id="totals"><tbody>${totals}</tbody></table>
<h2>Refused upgrades</h2>
<ul class="record" id="refusals"></ul>
<h2>Errors by code</h2>
<ul class="record" id="errors"></ul>
</section>
</div>
<section class="panel">
<h2>Rooms <small id="rooms-shown"></small></h2>
<table id="rooms"><thead><tr><th>Room</th><th>Members</th></tr></thead><tbody>${rooms}</tbody></table>
<p id="rooms-empty"${snapshot.rooms.length > 0 ? ' hidden' : ''}>No rooms.</p>
</section>
<script src="${escapeHtml(links.clientScript)}"></script>
<script src="${escapeHtml(links.script)}"></script>
</body>
</html>
`;
}
