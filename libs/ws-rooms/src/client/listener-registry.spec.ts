import { ListenerRegistry } from './listener-registry';

describe('ListenerRegistry', () => {
  it('calls listeners in order and isolates a throwing one', () => {
    const registry = new ListenerRegistry<[string]>();
    const calls: string[] = [];
    const errors: unknown[] = [];
    registry.add((value) => calls.push(`a ${value}`));
    registry.add(() => {
      throw new Error('b');
    });
    registry.add((value) => calls.push(`c ${value}`));
    registry.emit((error) => errors.push(error), 'x');
    expect(calls).toEqual(['a x', 'c x']);
    expect(errors).toEqual([new Error('b')]);
  });

  it('removes exactly one registration per unsubscribe, every one per remove', () => {
    const registry = new ListenerRegistry<[]>();
    const listener = jest.fn();
    const first = registry.add(listener);
    registry.add(listener);
    first();
    first();
    expect(registry.size).toBe(1);
    registry.add(listener);
    expect(registry.remove(listener)).toBe(true);
    expect(registry.remove(listener)).toBe(false);
    expect(registry.size).toBe(0);
  });

  it('dispatches to a snapshot: changes made by a listener apply from the next dispatch', () => {
    const registry = new ListenerRegistry<[]>();
    const calls: string[] = [];
    const late = (): void => void calls.push('late');
    const second = (): void => void calls.push('second');
    const unsubscribeFirst = registry.add(() => {
      calls.push('first');
      registry.add(late);
      registry.remove(second);
    });
    registry.add(second);
    registry.emit(() => undefined);
    expect(calls).toEqual(['first', 'second']);
    unsubscribeFirst();
    registry.emit(() => undefined);
    expect(calls).toEqual(['first', 'second', 'late']);
  });
});
