import { SessionBudget } from './session-budget';

describe('SessionBudget', () => {
  let now = 0;
  const limits = {
    maxSessions: 3,
    maxSessionBytes: 1000,
    maxSessionsPerAddress: 2,
    windowMs: 10_000,
  };

  beforeEach(() => {
    now = 0;
  });

  it('evicts the oldest session of the node past maxSessions', () => {
    const budget = new SessionBudget(limits, () => now);
    expect(budget.add('a', 'ip1', 10)).toEqual([]);
    expect(budget.add('b', 'ip2', 10)).toEqual([]);
    expect(budget.add('c', 'ip3', 10)).toEqual([]);
    expect(budget.add('d', 'ip4', 10)).toEqual(['a']);
    expect(budget.size).toBe(3);
  });

  it('evicts only the same address when one address is over maxSessionsPerAddress', () => {
    const budget = new SessionBudget({ ...limits, maxSessions: 10 }, () => now);
    budget.add('other', 'ip9', 10);
    budget.add('a1', 'ip1', 10);
    budget.add('a2', 'ip1', 10);
    expect(budget.add('a3', 'ip1', 10)).toEqual(['a1']);
    expect(budget.add('a4', 'ip1', 10)).toEqual(['a2']);
    expect(budget.size).toBe(3);
  });

  it('evicts oldest first until the bytes fit, and discards a session larger than the bound', () => {
    const budget = new SessionBudget(
      { ...limits, maxSessions: 10, maxSessionsPerAddress: 10 },
      () => now,
    );
    budget.add('a', 'ip', 400);
    budget.add('b', 'ip', 400);
    expect(budget.add('c', 'ip', 300)).toEqual(['a']);
    expect(budget.totalBytes).toBe(700);
    expect(budget.add('huge', 'ip', 1001)).toEqual(['huge']);
    expect(budget.totalBytes).toBe(700);
  });

  it('forgets sessions older than the window when a new one comes', () => {
    const budget = new SessionBudget(limits, () => now);
    budget.add('old', 'ip1', 10);
    now = 10_001;
    expect(budget.add('new', 'ip2', 10)).toEqual(['old']);
    expect(budget.size).toBe(1);
  });

  it('remove() keeps the counts right, per address included', () => {
    const budget = new SessionBudget(limits, () => now);
    budget.add('a1', 'ip1', 10);
    budget.add('a2', 'ip1', 10);
    budget.remove('a1');
    budget.remove('unknown');
    expect([budget.size, budget.totalBytes]).toEqual([1, 10]);
    expect(budget.add('a3', 'ip1', 10)).toEqual([]);
  });
});
