import type { IncomingMessage } from 'node:http';
import { retainUpgradeRequest } from './retained-request';

function request(url: string, headers: Record<string, string>): IncomingMessage {
  return { method: 'GET', url, httpVersion: '1.1', headers } as unknown as IncomingMessage;
}

describe('retainUpgradeRequest', () => {
  const upgrade = request('/ws?x=1', { host: 'a.test', 'x-big': 'b'.repeat(100), 'x-user': 'ann' });

  it('keeps nothing when headers are off', () => {
    expect(retainUpgradeRequest(upgrade, false, 4096)).toBeUndefined();
  });

  it('keeps every header within the byte bound, leaving out whole the ones that do not fit', () => {
    const kept = retainUpgradeRequest(upgrade, true, 40)!;
    expect(kept.url).toBe('/ws?x=1');
    expect(kept.headers).toEqual({ host: 'a.test', 'x-user': 'ann' });
    expect(retainUpgradeRequest(upgrade, true, 4096)!.headers['x-big']).toHaveLength(100);
  });

  it('keeps only the named headers', () => {
    expect(retainUpgradeRequest(upgrade, ['x-user'], 4096)!.headers).toEqual({ 'x-user': 'ann' });
  });

  it('does not keep a URL longer than the bound', () => {
    const long = request(`/ws?${'q'.repeat(5000)}`, { host: 'a.test' });
    const kept = retainUpgradeRequest(long, true, 4096)!;
    expect(kept.url).toBeUndefined();
    expect(kept.headers).toEqual({ host: 'a.test' });
  });
});
