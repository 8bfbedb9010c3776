import { Script } from 'node:vm';
import { DASHBOARD_SCRIPT } from './dashboard-script';

describe('DASHBOARD_SCRIPT', () => {
  it('is valid JavaScript, wrapped so that it leaks no globals', () => {
    expect(() => new Script(DASHBOARD_SCRIPT, { filename: 'dashboard.js' })).not.toThrow();
    expect(DASHBOARD_SCRIPT.startsWith('(function () {')).toBe(true);
    expect(DASHBOARD_SCRIPT.trimEnd().endsWith('})();')).toBe(true);
  });

  it('never turns server values into markup', () => {
    expect(DASHBOARD_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect(DASHBOARD_SCRIPT).toContain('textContent');
  });

  it('connects with the modern client of /iris-ws.js to the feed the page names', () => {
    expect(DASHBOARD_SCRIPT).toContain('new window.WsRooms.WsRoomsClient(');
    expect(DASHBOARD_SCRIPT).toContain("getAttribute('data-feed')");
    expect(DASHBOARD_SCRIPT).toContain("client.on('stats'");
  });
});
