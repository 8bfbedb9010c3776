import { countError, createStats, UPGRADE_REFUSAL_REASONS } from './server-stats';

describe('createStats', () => {
  it('starts every counter at zero, every refusal reason included', () => {
    const stats = createStats();
    expect(stats).toMatchObject({ connections: 0, rooms: 0, messagesOut: 0, bytesOut: 0 });
    expect(Object.keys(stats.upgradesRefusedByReason)).toEqual([...UPGRADE_REFUSAL_REASONS]);
    expect(Object.values(stats.upgradesRefusedByReason).every((value) => value === 0)).toBe(true);
    expect(Object.keys(stats.errorsByCode)).toEqual([]);
  });

  it('reads rooms from the index when asked (joins and leaves cost nothing)', () => {
    const index = { roomCount: 0 };
    const stats = createStats(index);
    index.roomCount = 3;
    expect(stats.rooms).toBe(3);
    expect({ ...stats }.rooms).toBe(3);
    expect(Object.keys(stats)).toContain('rooms');
  });
});

describe('countError', () => {
  it('counts by code, any code being a plain key', () => {
    const stats = createStats();
    countError(stats, 'WS_ROOMS_MALFORMED_MESSAGE');
    countError(stats, 'WS_ROOMS_MALFORMED_MESSAGE');
    countError(stats, '__proto__');
    countError(stats, 'toString');
    expect({ ...stats.errorsByCode }).toEqual({
      WS_ROOMS_MALFORMED_MESSAGE: 2,
      ['__proto__']: 1,
      toString: 1,
    });
    expect(Object.getPrototypeOf(stats.errorsByCode)).toBeNull();
  });
});
