import { countError, createStats } from '../server/server-stats';
import { snapshotStats } from './stats-snapshot';

describe('snapshotStats', () => {
  it('is a copy that later counting does not change, records included', () => {
    const index = { roomCount: 2 };
    const live = createStats(index);
    live.messagesIn = 5;
    live.upgradesRefusedByReason.origin = 1;
    countError(live, 'WS_ROOMS_MALFORMED_MESSAGE');

    const snapshot = snapshotStats(live);
    live.messagesIn++;
    live.upgradesRefusedByReason.origin++;
    countError(live, 'WS_ROOMS_MALFORMED_MESSAGE');
    countError(live, 'WS_ROOMS_HANDLER_ERROR');
    index.roomCount = 7;

    expect(snapshot.messagesIn).toBe(5);
    expect(snapshot.rooms).toBe(2);
    expect(snapshot.upgradesRefusedByReason.origin).toBe(1);
    expect(snapshot.errorsByCode).toEqual({ WS_ROOMS_MALFORMED_MESSAGE: 1 });
    expect(Object.getOwnPropertyDescriptor(snapshot, 'rooms')).toMatchObject({ value: 2 });
  });

  it('is plain JSON (what the dashboard feed sends)', () => {
    const live = createStats({ roomCount: 1 });
    countError(live, 'WS_ROOMS_HANDLER_ERROR');
    const snapshot = snapshotStats(live);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(Object.getPrototypeOf(snapshot.errorsByCode)).toBe(Object.prototype);
  });
});
