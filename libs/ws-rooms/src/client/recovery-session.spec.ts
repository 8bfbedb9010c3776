import { RecoverySession } from './recovery-session';

const fresh = (id = 'A', offset = 10) => ({ id, token: `t-${id}`, offset, recovered: false });

describe('RecoverySession', () => {
  describe('decorate', () => {
    it('opts in on a first connection, keeping the query and the fragment', () => {
      const session = new RecoverySession();
      expect(session.decorate('ws://h/ws')).toBe('ws://h/ws?ws-rooms-recovery=1');
      expect(session.decorate('ws://h/ws?')).toBe('ws://h/ws?ws-rooms-recovery=1');
      expect(session.decorate('ws://h/ws?name=a&b=1#x')).toBe(
        'ws://h/ws?name=a&b=1&ws-rooms-recovery=1#x',
      );
    });

    it('adds the token (URL-encoded), the last offset and the previous id once it has a session', () => {
      const session = new RecoverySession();
      session.apply({ id: 'A', token: 'a+b/c=', offset: 3, recovered: false });
      session.accept(8);
      expect(session.decorate('ws://h/ws?name=a')).toBe(
        'ws://h/ws?name=a&ws-rooms-recovery=1&ws-rooms-session=a%2Bb%2Fc%3D&ws-rooms-offset=8&ws-rooms-id=A',
      );
    });

    it('replaces recovery parameters already in the URL', () => {
      const session = new RecoverySession();
      expect(
        session.decorate(
          'ws://h/ws?ws-rooms-recovery=0&x=1&ws-rooms-session=old&ws-rooms-offset=9',
        ),
      ).toBe('ws://h/ws?x=1&ws-rooms-recovery=1');
    });
  });

  describe('apply', () => {
    it('starts a fresh session at the baseline offset', () => {
      const session = new RecoverySession();
      expect(session.apply(fresh('A', 10))).toEqual({ status: 'fresh', recovered: false, id: 'A' });
      expect(session.id).toBe('A');
      expect(session.offset).toBe(10);
      expect(session.resumable).toBe(true);
    });

    it('keeps the id and the offset on a recovery', () => {
      const session = new RecoverySession();
      session.apply(fresh('A', 10));
      session.accept(12);
      expect(session.apply({ id: 'A', token: 't-A', recovered: true })).toEqual({
        status: 'recovered',
        recovered: true,
        id: 'A',
      });
      expect(session.offset).toBe(12);
    });

    it('reports a failed resume with its reason and starts over from the new baseline', () => {
      const session = new RecoverySession();
      session.apply(fresh('A', 10));
      session.accept(500);
      // A restarted server counts from 0 again: the old offset must not hide new messages.
      expect(session.apply({ ...fresh('B', 0), reason: 'unknown-session' })).toEqual({
        status: 'failed',
        recovered: false,
        reason: 'unknown-session',
        id: 'B',
        previousId: 'A',
      });
      expect(session.offset).toBe(0);
      expect(session.accept(1)).toBe(true);
      expect(session.decorate('ws://h/')).toContain('ws-rooms-session=t-B&ws-rooms-offset=1');
    });

    it('calls a failure without reason "unknown"', () => {
      const session = new RecoverySession();
      session.apply(fresh('A'));
      expect(session.apply(fresh('B'))).toMatchObject({ status: 'failed', reason: 'unknown' });
    });

    it.each([
      ['a string', 'x'],
      ['an array', []],
      ['bytes', Uint8Array.of(1)],
      ['no id', { token: 't', offset: 1, recovered: false }],
      ['an empty id', { id: '', token: 't', offset: 1, recovered: false }],
      ['no token', { id: 'A', offset: 1, recovered: false }],
      ['no offset on a fresh session', { id: 'A', token: 't', recovered: false }],
      ['a negative offset', { id: 'A', token: 't', offset: -1, recovered: false }],
      ['no recovered flag', { id: 'A', token: 't', offset: 1 }],
    ])('refuses a payload with %s and changes nothing', (_, payload) => {
      const session = new RecoverySession();
      session.apply(fresh('A', 5));
      expect(session.apply(payload as never)).toBeUndefined();
      expect([session.id, session.offset]).toEqual(['A', 5]);
    });
  });

  it('accepts each offset once, and never an older one', () => {
    const session = new RecoverySession();
    session.apply(fresh('A', 10));
    expect([9, 10, 11, 11, 13, 12, 14].map((offset) => session.accept(offset))).toEqual([
      false,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
    expect(session.offset).toBe(14);
  });

  it('forgets the token and the offset on reset, keeping the last id', () => {
    const session = new RecoverySession();
    session.apply(fresh('A', 10));
    session.reset();
    expect(session.resumable).toBe(false);
    expect(session.offset).toBe(0);
    expect(session.id).toBe('A');
    expect(session.decorate('ws://h/')).toBe('ws://h/?ws-rooms-recovery=1');
    expect(session.apply(fresh('B'))).toMatchObject({ status: 'fresh' });
  });
});
