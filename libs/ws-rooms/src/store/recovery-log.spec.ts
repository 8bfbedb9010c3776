import { newSessionToken, RecoveryLog, type SuspendedSession } from './recovery-log';

const message = (text: string) => Buffer.from(text);

function session(overrides: Partial<SuspendedSession> = {}): SuspendedSession {
  return {
    id: 'me',
    token: 't1',
    rooms: ['lobby'],
    disconnectedAt: 1000,
    owner: 'alice',
    ...overrides,
  };
}

describe('RecoveryLog', () => {
  it('numbers broadcasts and replays, in order, only those after the offset that reached the session', () => {
    const log = new RecoveryLog(60_000, 100);
    log.record(
      { message: message('before'), binary: false, rooms: ['lobby'], except: [], volatile: false },
      900,
    );
    const seen = log.head();
    log.suspend(session());
    log.record(
      { message: message('lobby 1'), binary: false, rooms: ['lobby'], except: [], volatile: false },
      1100,
    );
    log.record(
      {
        message: message('elsewhere'),
        binary: false,
        rooms: ['kitchen'],
        except: [],
        volatile: false,
      },
      1200,
    );
    log.record(
      { message: message('to me'), binary: false, rooms: ['me'], except: [], volatile: false },
      1300,
    );
    log.record(
      { message: message('everyone'), binary: false, rooms: null, except: [], volatile: false },
      1400,
    );
    log.record(
      {
        message: message('everyone but lobby'),
        binary: false,
        rooms: null,
        except: ['lobby'],
        volatile: false,
      },
      1500,
    );
    log.record(
      {
        message: message('lobby 2'),
        binary: true,
        rooms: ['kitchen', 'lobby'],
        except: [],
        volatile: false,
      },
      1600,
    );
    const result = log.take('t1', seen, 'alice', 2000);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.session.id).toBe('me');
    const missed = log.missed(result.session, seen, 2000)!;
    expect(missed.map((entry) => entry.message.toString())).toEqual([
      'lobby 1',
      'to me',
      'everyone',
      'lobby 2',
    ]);
    expect(missed.map((entry) => entry.offset)).toEqual([2, 4, 5, 7]);
    expect(missed[3].binary).toBe(true);
  });

  it('gives a session back once', () => {
    const log = new RecoveryLog(60_000, 100);
    log.suspend(session());
    expect(log.take('t1', 0, 'alice', 1001).ok).toBe(true);
    expect(log.take('t1', 0, 'alice', 1002)).toEqual({ ok: false, reason: 'unknown-session' });
  });

  it("refuses another principal's token as an unknown session", () => {
    const log = new RecoveryLog(60_000, 100);
    log.suspend(session());
    expect(log.take('t1', 0, 'mallory', 1001)).toEqual({ ok: false, reason: 'unknown-session' });
  });

  it('reports an expired session', () => {
    const log = new RecoveryLog(1000, 100);
    log.suspend(session({ disconnectedAt: 1000 }));
    expect(log.take('t1', 0, 'alice', 2001)).toEqual({ ok: false, reason: 'expired' });
  });

  it('reports history-gone when the gap is no longer covered (count bound)', () => {
    const log = new RecoveryLog(60_000, 2);
    log.suspend(session());
    for (let i = 0; i < 5; i++)
      log.record(
        { message: message(`m${i}`), binary: false, rooms: ['lobby'], except: [], volatile: false },
        1100 + i,
      );
    expect(log.size).toBe(2);
    expect(log.take('t1', 0, 'alice', 1200)).toEqual({ ok: false, reason: 'history-gone' });
  });

  it('drops the oldest messages past maxBytes (byte bound)', () => {
    const log = new RecoveryLog(60_000, 100, 10);
    for (const text of ['aaaa', 'bbbb', 'cccc']) {
      log.record(
        { message: message(text), binary: false, rooms: ['lobby'], except: [], volatile: false },
        1000,
      );
    }
    // Three messages of 4 bytes against 10: the oldest goes, the newest two (8 bytes) stay.
    expect(log.size).toBe(2);
    expect(log.head()).toBe(3);
    expect(log.missed({ ...session(), rooms: ['lobby'] }, 0, 1000)).toBeNull();
    expect(log.missed({ ...session(), rooms: ['lobby'] }, 1, 1000)?.map((e) => e.offset)).toEqual([
      2, 3,
    ]);
  });

  it('drops messages older than the window (age bound)', () => {
    const log = new RecoveryLog(1000, 100);
    log.record(
      { message: message('old'), binary: false, rooms: ['lobby'], except: [], volatile: false },
      0,
    );
    log.record(
      { message: message('new'), binary: false, rooms: ['lobby'], except: [], volatile: false },
      1500,
    );
    expect(log.size).toBe(1);
  });

  it('refuses an offset from the future or not a number', () => {
    const log = new RecoveryLog(60_000, 100);
    log.suspend(session());
    expect(log.take('t1', 5, 'alice', 1001)).toEqual({ ok: false, reason: 'invalid-offset' });
    log.suspend(session());
    expect(log.take('t1', Number.NaN, 'alice', 1001)).toEqual({
      ok: false,
      reason: 'invalid-offset',
    });
  });

  it('makes unguessable tokens', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newSessionToken()));
    expect(tokens.size).toBe(1000);
    expect([...tokens][0]).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });
});

describe('RecoveryLog.missed', () => {
  it('answers null when the log lost part of the gap after the session was taken', () => {
    const log = new RecoveryLog(60_000, 2);
    log.suspend(session());
    const broadcast = { binary: false, rooms: ['lobby'], except: [], volatile: false };
    log.record({ ...broadcast, message: message('m1') }, 1100);
    const taken = log.take('t1', 0, 'alice', 1150);
    expect(taken.ok).toBe(true);
    if (!taken.ok) return;
    for (const text of ['m2', 'm3']) log.record({ ...broadcast, message: message(text) }, 1200);
    expect(log.missed(taken.session, 0, 1300)).toBeNull();
    expect(log.missed(taken.session, 1, 1300)!.map((entry) => entry.offset)).toEqual([2, 3]);
  });
});

describe('RecoveryLog.missed and the rooms joined after the last offset seen', () => {
  const broadcast = (text: string, rooms: string[] | null, except: string[] = []) => ({
    message: message(text),
    binary: false,
    rooms,
    except,
    volatile: false,
  });

  it('replays what a room said only after the connection joined it, and excludes by rooms it was in', () => {
    const log = new RecoveryLog(60_000, 100);
    log.record(broadcast('lobby 1', ['lobby']), 1000); // 1: the last offset the client saw
    log.record(broadcast('late, before the join', ['late']), 1010); // 2
    log.record(broadcast('all but late, before the join', null, ['late']), 1020); // 3
    // The connection joined `late` here (head 3), then was cut.
    log.record(broadcast('late, after the join', ['late']), 1030); // 4
    log.record(broadcast('all but late, after the join', null, ['late']), 1040); // 5
    log.record(broadcast('__proto__ before', ['__proto__']), 1050); // 6
    log.suspend(session({ rooms: ['lobby', 'late', '__proto__'], joinedAt: { late: 3 } }));
    const taken = log.take('t1', 1, 'alice', 1100);
    expect(taken.ok).toBe(true);
    if (!taken.ok) return;
    expect(log.missed(taken.session, 1, 1100)!.map((entry) => entry.message.toString())).toEqual([
      'all but late, before the join',
      'late, after the join',
      '__proto__ before',
    ]);
  });
});
