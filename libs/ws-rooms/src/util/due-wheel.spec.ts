import { DueWheel, type WheelEntry } from './due-wheel';

interface Entry extends WheelEntry {
  readonly name: string;
  dueAt: number;
}

const ORIGIN = 1_000_000;
const WIDTH = 100;
const HORIZON = 1000;

function entry(name: string): Entry {
  return { name, dueAt: 0, wheelSlot: -1 };
}

/** A wheel whose visits record the entry and the clock, and re-file nothing unless told to. */
function recordingWheel(): {
  wheel: DueWheel<Entry>;
  take(now: number): string[];
  refile: (visited: Entry, now: number) => number | undefined;
  setRefile(rule: (visited: Entry, now: number) => number | undefined): void;
} {
  const wheel = new DueWheel<Entry>(WIDTH, HORIZON, ORIGIN);
  const state = {
    wheel,
    refile: (_visited: Entry, _now: number): number | undefined => undefined,
    setRefile(rule: (visited: Entry, now: number) => number | undefined) {
      state.refile = rule;
    },
    take(now: number): string[] {
      const seen: string[] = [];
      wheel.take(now, (visited) => {
        seen.push(visited.name);
        const next = state.refile(visited, now);
        if (next !== undefined) {
          visited.dueAt = next;
          wheel.schedule(visited, next);
        }
      });
      return seen.sort();
    },
  };
  return state;
}

describe('DueWheel', () => {
  it('hands over an entry at the first take whose slot has begun at its due time, not before', () => {
    const { wheel, take } = recordingWheel();
    const a = entry('a');
    wheel.schedule(a, ORIGIN + 250);
    expect(take(ORIGIN + 100)).toEqual([]);
    expect(take(ORIGIN + 199)).toEqual([]);
    // Slot 2 (200-299) has begun: a is handed over although it is due at 250 (the visitor checks).
    expect(take(ORIGIN + 200)).toEqual(['a']);
    expect(wheel.size).toBe(0);
    expect(a.wheelSlot).toBe(-1);
  });

  it('touches only the due slot: entries due later are not visited', () => {
    const { wheel, take } = recordingWheel();
    for (let i = 0; i < 50; i++) wheel.schedule(entry(`late${i}`), ORIGIN + 900);
    wheel.schedule(entry('due'), ORIGIN + 300);
    expect(take(ORIGIN + 300)).toEqual(['due']);
    expect(wheel.size).toBe(50);
  });

  it('moves an entry when it is scheduled again, so it is visited once, at the new time', () => {
    const { wheel, take } = recordingWheel();
    const a = entry('a');
    wheel.schedule(a, ORIGIN + 200);
    wheel.schedule(a, ORIGIN + 600);
    expect(wheel.size).toBe(1);
    expect(take(ORIGIN + 500)).toEqual([]);
    expect(take(ORIGIN + 600)).toEqual(['a']);
  });

  it('forgets a removed entry; removing twice or an entry never filed is harmless', () => {
    const { wheel, take } = recordingWheel();
    const a = entry('a');
    const b = entry('b');
    wheel.schedule(a, ORIGIN + 200);
    wheel.schedule(b, ORIGIN + 200);
    wheel.remove(a);
    wheel.remove(a);
    wheel.remove(entry('never'));
    expect(wheel.size).toBe(1);
    expect(take(ORIGIN + 1000)).toEqual(['b']);
  });

  it('lets a visit remove another entry of the same slot, which is then not visited', () => {
    const wheel = new DueWheel<Entry>(WIDTH, HORIZON, ORIGIN);
    const a = entry('a');
    const b = entry('b');
    wheel.schedule(a, ORIGIN + 200);
    wheel.schedule(b, ORIGIN + 200);
    const seen: string[] = [];
    wheel.take(ORIGIN + 200, (visited) => {
      seen.push(visited.name);
      wheel.remove(visited === a ? b : a);
    });
    expect(seen).toHaveLength(1);
    expect(wheel.size).toBe(0);
  });

  it('keeps an entry re-filed within the slot just taken for the next take (the late set)', () => {
    const { wheel, take, setRefile } = recordingWheel();
    const a = entry('a');
    a.dueAt = ORIGIN + 200;
    wheel.schedule(a, a.dueAt);
    // Not due yet at 210: the visitor files it again for 260, in the slot already taken.
    setRefile((visited, now) => (visited.dueAt > now ? visited.dueAt : undefined));
    a.dueAt = ORIGIN + 260;
    expect(take(ORIGIN + 210)).toEqual(['a']);
    expect(wheel.size).toBe(1);
    // Looked at again on the next take, within the same slot: still early, kept.
    expect(take(ORIGIN + 250)).toEqual(['a']);
    expect(wheel.size).toBe(1);
    expect(take(ORIGIN + 260)).toEqual(['a']);
    expect(wheel.size).toBe(0);
  });

  it('re-files periodically without ever visiting an entry twice in one take', () => {
    const { wheel, take, setRefile } = recordingWheel();
    const entries = Array.from({ length: 20 }, (_, i) => entry(`e${i}`));
    entries.forEach((each, i) => wheel.schedule(each, ORIGIN + 10 + i * 45));
    // Each visit files the entry one horizon later: the furthest the wheel is built for.
    setRefile((_visited, now) => now + HORIZON);
    const visits = new Map<string, number>();
    for (let now = ORIGIN; now <= ORIGIN + 20 * HORIZON; now += WIDTH) {
      const seen = take(now);
      expect(new Set(seen).size).toBe(seen.length);
      for (const name of seen) visits.set(name, (visits.get(name) ?? 0) + 1);
    }
    expect(wheel.size).toBe(20);
    // A first visit within the first horizon, then one per horizon: 20 or 21 in 20 horizons.
    for (const each of entries) expect(visits.get(each.name)).toBeGreaterThanOrEqual(20);
    for (const each of entries) expect(visits.get(each.name)).toBeLessThanOrEqual(21);
  });

  it('catches up missed slots one by one after a short stall', () => {
    const { wheel, take } = recordingWheel();
    wheel.schedule(entry('a'), ORIGIN + 150);
    wheel.schedule(entry('b'), ORIGIN + 450);
    wheel.schedule(entry('c'), ORIGIN + 950);
    expect(take(ORIGIN + 500)).toEqual(['a', 'b']);
    expect(take(ORIGIN + 1000)).toEqual(['c']);
  });

  it('looks at every entry once after a stall longer than it can catch up slot by slot', () => {
    const { wheel, take, setRefile } = recordingWheel();
    wheel.schedule(entry('a'), ORIGIN + 150);
    wheel.schedule(entry('b'), ORIGIN + 950);
    setRefile((_visited, now) => now + HORIZON);
    // 5 s without a take: both are handed over once, and re-filed after the new now.
    expect(take(ORIGIN + 5000)).toEqual(['a', 'b']);
    expect(wheel.size).toBe(2);
    expect(take(ORIGIN + 5100)).toEqual([]);
    expect(take(ORIGIN + 6000)).toEqual(['a', 'b']);
  });

  it('files an entry due in the past into the late set, visited on the next take', () => {
    const { wheel, take } = recordingWheel();
    take(ORIGIN + 500);
    wheel.schedule(entry('old'), ORIGIN + 100);
    expect(take(ORIGIN + 500)).toEqual(['old']);
  });
});
