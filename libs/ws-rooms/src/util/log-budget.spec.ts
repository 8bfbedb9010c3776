import { LogBudget } from './log-budget';

describe('LogBudget', () => {
  it('allows perWindow lines per window, then reports how many it left out', () => {
    let now = 0;
    const warnings: string[] = [];
    const budget = new LogBudget(
      { warn: (line: string) => void warnings.push(line) },
      3,
      1000,
      () => now,
    );
    expect(Array.from({ length: 5 }, () => budget.allow())).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(warnings).toEqual([]);
    now = 999;
    expect(budget.allow()).toBe(false);
    now = 1000;
    expect(budget.allow()).toBe(true);
    expect(warnings).toEqual(['3 similar log lines were left out in the last 1000 ms']);
    now = 5000;
    expect(budget.allow()).toBe(true);
    expect(warnings).toHaveLength(1);
  });
});
