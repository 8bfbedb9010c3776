import { after, isPromiseLike } from './maybe-promise';

/**
 * The value, once it has settled within one flush of the microtasks: a chain that never settles
 * fails the test at once instead of waiting for the test timeout.
 */
async function settled<T>(value: unknown): Promise<T> {
  if (!isPromiseLike(value)) throw new Error('expected a promise');
  let done = false;
  const promise = Promise.resolve(value as PromiseLike<T>);
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (!done) throw new Error('the promise is still pending');
  return promise;
}

describe('after', () => {
  it('runs the next step in the same call when the value is not a promise', () => {
    const seen: number[] = [];
    const result = after(2, (value) => {
      seen.push(value);
      return value * 10;
    });
    // Synchronous: the step already ran, and its plain result comes back as is.
    expect(seen).toEqual([2]);
    expect(result).toBe(20);
  });

  it('passes falsy plain values straight through', () => {
    expect(after(undefined, (value) => (value === undefined ? 'undefined' : 'other'))).toBe(
      'undefined',
    );
    expect(after(null, (value) => value)).toBeNull();
    expect(after(0, (value) => value + 1)).toBe(1);
    expect(after('', (value) => `${value}!`)).toBe('!');
  });

  it('returns what a synchronous step returns, a promise included', async () => {
    const inner = Promise.resolve('later');
    const result = after(1, () => inner);
    expect(result).toBe(inner);
    await expect(settled(result)).resolves.toBe('later');
  });

  it('lets a synchronous step throw straight out', () => {
    expect(() =>
      after(1, () => {
        throw new Error('step failed');
      }),
    ).toThrow('step failed');
  });

  it('chains on a promise: the step runs only once it resolves, with its value', async () => {
    let resolve!: (value: number) => void;
    const pending = new Promise<number>((r) => (resolve = r));
    const seen: number[] = [];
    const result = after(pending, (value) => {
      seen.push(value);
      return value + 1;
    });
    expect(isPromiseLike(result)).toBe(true);
    await new Promise<void>((r) => setImmediate(r));
    expect(seen).toEqual([]);
    resolve(41);
    await expect(settled(result)).resolves.toBe(42);
    expect(seen).toEqual([41]);
  });

  it('flattens a step that returns a promise after a promise', async () => {
    const result = after(Promise.resolve('a'), (value) => Promise.resolve(`${value}b`));
    await expect(settled(result)).resolves.toBe('ab');
  });

  it('does not run the step when the promise rejects, and rejects with its reason', async () => {
    const next = jest.fn();
    const result = after(Promise.reject(new Error('store down')), next);
    await expect(settled(result)).rejects.toThrow('store down');
    expect(next).not.toHaveBeenCalled();
  });

  it('turns a throwing step after a promise into a rejection', async () => {
    const result = after(Promise.resolve(1), () => {
      throw new Error('late failure');
    });
    await expect(settled(result)).rejects.toThrow('late failure');
  });

  it('chains on a thenable that is not a native promise', async () => {
    const thenable = {
      then(onFulfilled: (value: string) => unknown) {
        onFulfilled('from thenable');
      },
    };
    const seen: string[] = [];
    const result = after(thenable as unknown as Promise<string>, (value) => {
      seen.push(value);
      return value.length;
    });
    // Never synchronous for a thenable, even one that calls back at once.
    expect(seen).toEqual([]);
    await expect(settled(result)).resolves.toBe('from thenable'.length);
    expect(seen).toEqual(['from thenable']);
  });
});

describe('isPromiseLike', () => {
  it('is true for promises and objects with a callable then', () => {
    expect(isPromiseLike(Promise.resolve(1))).toBe(true);
    expect(isPromiseLike(Promise.reject(new Error('x')).catch(() => undefined))).toBe(true);
    expect(isPromiseLike({ then: () => undefined })).toBe(true);
    expect(isPromiseLike(Object.assign(Object.create(null), { then() {} }))).toBe(true);
    class Deferred {
      then(): void {}
    }
    expect(isPromiseLike(new Deferred())).toBe(true);
  });

  it('is false for values without a callable then', () => {
    for (const value of [
      undefined,
      null,
      0,
      1,
      '',
      'then',
      true,
      Symbol('then'),
      {},
      [],
      { then: true },
      { then: 'function' },
      { then: null },
      { members: [], version: 0, partial: false },
      () => undefined,
    ]) {
      expect(isPromiseLike(value)).toBe(false);
    }
  });
});
