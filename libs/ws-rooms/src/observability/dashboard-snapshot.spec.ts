import { countError, createStats } from '../server/server-stats';
import { RoomIndex } from '../store/room-index';
import { buildDashboardSnapshot, type ObservedEndpoint } from './dashboard-snapshot';
import { RateSampler } from './rate-sampler';

function endpoint(): ObservedEndpoint & { stats: ReturnType<typeof createStats> } {
  const index = new RoomIndex();
  index.add('a', 'lobby');
  index.add('b', 'lobby');
  index.add('a', 'vip');
  const stats = createStats(index);
  stats.connections = 2;
  return { name: 'chat', options: { endpoint: '/chat' }, stats, index };
}

describe('buildDashboardSnapshot', () => {
  it('holds the counts, the largest rooms, the rates and every counter', () => {
    const observed = endpoint();
    countError(observed.stats, 'WS_ROOMS_HANDLER_ERROR');
    const sampler = new RateSampler(60);
    sampler.record(0, 0, 0);
    sampler.record(1000, 4, 8);
    const snapshot = buildDashboardSnapshot(observed, sampler, 1234);
    expect(snapshot).toEqual({
      endpoint: { name: 'chat', path: '/chat' },
      at: 1234,
      connections: 2,
      roomCount: 2,
      rooms: [
        { name: 'lobby', members: 2 },
        { name: 'vip', members: 1 },
      ],
      rates: { in: 4, out: 8 },
      history: [{ at: 1000, in: 4, out: 8 }],
      totals: expect.objectContaining({
        connections: 2,
        rooms: 2,
        errorsByCode: { WS_ROOMS_HANDLER_ERROR: 1 },
      }),
    });
  });

  it('lists at most `roomLimit` rooms but counts them all', () => {
    const snapshot = buildDashboardSnapshot(endpoint(), new RateSampler(1), 0, 1);
    expect(snapshot.rooms).toEqual([{ name: 'lobby', members: 2 }]);
    expect(snapshot.roomCount).toBe(2);
  });

  it('is JSON, as the feed sends it', () => {
    const snapshot = buildDashboardSnapshot(endpoint(), new RateSampler(1), 0);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });
});
