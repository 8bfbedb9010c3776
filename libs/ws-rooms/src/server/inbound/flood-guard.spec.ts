import type { InboundBudget } from '../../connection/connection-state';
import { FloodGuard } from './flood-guard';

function budget(): InboundBudget {
  return {
    tokens: 0,
    refilledAt: 0,
    refusedInARow: 0,
    toldAt: Number.NEGATIVE_INFINITY,
    pendingHandlers: 0,
  };
}

describe('FloodGuard', () => {
  let now = 0;
  const guard = new FloodGuard(10, 5, () => now);

  beforeEach(() => {
    now = 1_000;
  });

  it('accepts a full burst, then refuses, telling the client once', () => {
    const state = budget();
    guard.start(state);
    const verdicts = Array.from({ length: 8 }, () => guard.take(state));
    expect(verdicts).toEqual([
      'accept',
      'accept',
      'accept',
      'accept',
      'accept',
      'tell',
      'refuse',
      'refuse',
    ]);
  });

  it('cuts only after more than a burst refused in a row', () => {
    const state = budget();
    guard.start(state);
    for (let i = 0; i < 5; i++) expect(guard.take(state)).toBe('accept');
    const refused = Array.from({ length: 5 }, () => guard.take(state));
    expect(refused).not.toContain('cut');
    expect(guard.take(state)).toBe('cut');
  });

  it('refills at the rate: one token per 100 ms at 10/s, and an accepted message ends the streak', () => {
    const state = budget();
    guard.start(state);
    for (let i = 0; i < 5; i++) guard.take(state);
    for (let i = 0; i < 4; i++) guard.take(state);
    expect(state.refusedInARow).toBe(4);
    now += 100;
    expect(guard.take(state)).toBe('accept');
    expect(state.refusedInARow).toBe(0);
    expect(guard.take(state)).toBe('refuse');
  });

  it('tells at most once a second while refusing', () => {
    const state = budget();
    guard.start(state);
    for (let i = 0; i < 5; i++) guard.take(state);
    expect(guard.take(state)).toBe('tell');
    now += 99; // less than one token
    expect(guard.take(state)).toBe('refuse');
    now += 1_000;
    // a whole second later the bucket has tokens again: accepted, then told again once empty
    for (let i = 0; i < 5; i++) expect(guard.take(state)).toBe('accept');
    expect(guard.take(state)).toBe('tell');
  });

  it('never fills past the burst after a long idle time', () => {
    const state = budget();
    guard.start(state);
    now += 3_600_000;
    for (let i = 0; i < 5; i++) expect(guard.take(state)).toBe('accept');
    expect(guard.take(state)).toBe('tell');
  });

  it('is off with a zero rate', () => {
    expect(new FloodGuard(0, 5, () => now).enabled).toBe(false);
    expect(guard.enabled).toBe(true);
  });
});
