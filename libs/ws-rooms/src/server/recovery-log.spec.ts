import { RecoveryLog, type SuspendedSession } from './recovery-log';

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
    log.record(message('before'), false, ['lobby'], [], 900);
    const seen = log.offset;
    log.suspend(session());
    log.record(message('lobby 1'), false, ['lobby'], [], 1100);
    log.record(message('elsewhere'), false, ['kitchen'], [], 1200);
    log.record(message('to me'), false, ['me'], [], 1300);
    log.record(message('everyone'), false, null, [], 1400);
    log.record(message('everyone but lobby'), false, null, ['lobby'], 1500);
    log.record(message('lobby 2'), true, ['kitchen', 'lobby'], [], 1600);
    const result = log.recover('t1', seen, 2000, 'alice');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.session.id).toBe('me');
    expect(result.missed.map((entry) => entry.message.toString())).toEqual([
      'lobby 1',
      'to me',
      'everyone',
      'lobby 2',
    ]);
    expect(result.missed.map((entry) => entry.offset)).toEqual([2, 4, 5, 7]);
    expect(result.missed[3].binary).toBe(true);
  });

  it('gives a session back once', () => {
    const log = new RecoveryLog(60_000, 100);
    log.suspend(session());
    expect(log.recover('t1', 0, 1001, 'alice').ok).toBe(true);
    expect(log.recover('t1', 0, 1002, 'alice')).toEqual({ ok: false, reason: 'unknown-session' });
  });

  it("refuses another principal's token as an unknown session", () => {
    const log = new RecoveryLog(60_000, 100);
    log.suspend(session());
    expect(log.recover('t1', 0, 1001, 'mallory')).toEqual({ ok: false, reason: 'unknown-session' });
  });

  it('reports an expired session', () => {
    const log = new RecoveryLog(1000, 100);
    log.suspend(session({ disconnectedAt: 1000 }));
    expect(log.recover('t1', 0, 2001, 'alice')).toEqual({ ok: false, reason: 'expired' });
  });

  it('reports history-gone when the gap is no longer covered (count bound)', () => {
    const log = new RecoveryLog(60_000, 2);
    log.suspend(session());
    for (let i = 0; i < 5; i++) log.record(message(`m${i}`), false, ['lobby'], [], 1100 + i);
    expect(log.size).toBe(2);
    expect(log.recover('t1', 0, 1200, 'alice')).toEqual({ ok: false, reason: 'history-gone' });
  });

  it('drops messages older than the window (age bound)', () => {
    const log = new RecoveryLog(1000, 100);
    log.record(message('old'), false, ['lobby'], [], 0);
    log.record(message('new'), false, ['lobby'], [], 1500);
    expect(log.size).toBe(1);
  });

  it('refuses an offset from the future or not a number', () => {
    const log = new RecoveryLog(60_000, 100);
    log.suspend(session());
    expect(log.recover('t1', 5, 1001, 'alice')).toEqual({ ok: false, reason: 'invalid-offset' });
    log.suspend(session());
    expect(log.recover('t1', Number.NaN, 1001, 'alice')).toEqual({
      ok: false,
      reason: 'invalid-offset',
    });
  });

  it('makes unguessable tokens', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => RecoveryLog.newToken()));
    expect(tokens.size).toBe(1000);
    expect([...tokens][0]).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });
});
