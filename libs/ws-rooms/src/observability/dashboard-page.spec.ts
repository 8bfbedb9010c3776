import { createHash } from 'node:crypto';
import { createStats } from '../server/server-stats';
import { snapshotStats } from './stats-snapshot';
import {
  DASHBOARD_CONTENT_SECURITY_POLICY,
  escapeHtml,
  renderDashboardPage,
} from './dashboard-page';
import type { DashboardSnapshot } from './dashboard-snapshot';

const LINKS = { clientScript: '/iris-ws.js', script: '/dash/dashboard.js', feed: '/dash/ws' };

function snapshot(overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  return {
    endpoint: { name: 'default', path: '/ws' },
    at: 0,
    connections: 3,
    roomCount: 1,
    rooms: [{ name: 'lobby', members: 3 }],
    rates: { in: 1.5, out: 3 },
    history: [],
    totals: snapshotStats(createStats()),
    ...overrides,
  };
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(escapeHtml('plain room 42')).toBe('plain room 42');
  });
});

describe('renderDashboardPage', () => {
  it('shows the snapshot: counts, rates and one row per room', () => {
    const html = renderDashboardPage(snapshot(), LINKS);
    expect(html).toContain('<div class="value" id="connections">3</div>');
    expect(html).toContain('<div class="value" id="room-count">1</div>');
    expect(html).toContain('<div class="value" id="rate-in">1.5</div>');
    expect(html).toContain('<tr><td class="room">lobby</td><td class="members">3</td></tr>');
    expect(html).toContain('<p id="rooms-empty" hidden>');
    expect(html).toContain('<body data-feed="/dash/ws">');
  });

  it('escapes every room name and the endpoint name', () => {
    const html = renderDashboardPage(
      snapshot({
        endpoint: { name: '</title><script>x()</script>', path: '/ws' },
        rooms: [
          { name: '<img src=x onerror=alert(1)>', members: 1 },
          { name: '"><svg onload=alert(2)>', members: 1 },
        ],
      }),
      LINKS,
    );
    expect(html).toContain('<td class="room">&lt;img src=x onerror=alert(1)&gt;</td>');
    expect(html).toContain('<td class="room">&quot;&gt;&lt;svg onload=alert(2)&gt;</td>');
    expect(html).not.toMatch(/<img|<svg onload|<script>x/);
    expect(html).toContain('&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;');
  });

  it('loads only the app own scripts, after the content', () => {
    const html = renderDashboardPage(snapshot({ rooms: [] }), LINKS);
    expect([...html.matchAll(/<script[^>]*>/g)].map((match) => match[0])).toEqual([
      '<script src="/iris-ws.js">',
      '<script src="/dash/dashboard.js">',
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('<p id="rooms-empty">No rooms.</p>');
  });

  it('has a Content-Security-Policy whose style hash is the page stylesheet', () => {
    const html = renderDashboardPage(snapshot(), LINKS);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    const hash = createHash('sha256').update(style).digest('base64');
    expect(DASHBOARD_CONTENT_SECURITY_POLICY).toContain(`style-src 'sha256-${hash}'`);
    expect(DASHBOARD_CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(DASHBOARD_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(DASHBOARD_CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });
});
