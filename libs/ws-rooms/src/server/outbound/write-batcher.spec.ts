import type { Connection } from '../../connection/connection';
import { WriteBatcher } from './write-batcher';

/** Resolves after the `setImmediate` callbacks queued so far have run. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The part of a connection the batcher touches (its flush), recording the calls. */
interface FakeConnection {
  readonly name: string;
  flush(): void;
}

function fakeConnection(name: string, log: string[], onFlush?: () => void): FakeConnection {
  return {
    name,
    flush() {
      log.push(name);
      onFlush?.();
    },
  };
}

const asConnection = (fake: FakeConnection): Connection => fake as unknown as Connection;

describe('WriteBatcher', () => {
  it('flushes nothing in the turn a connection is scheduled', () => {
    const log: string[] = [];
    const batcher = new WriteBatcher();
    batcher.schedule(asConnection(fakeConnection('a', log)));
    expect(log).toEqual([]);
  });

  it('flushes every scheduled connection once, in order, after the I/O of the turn', async () => {
    const log: string[] = [];
    const batcher = new WriteBatcher();
    const connections = ['a', 'b', 'c'].map((name) => fakeConnection(name, log));
    for (const connection of connections) batcher.schedule(asConnection(connection));
    await nextTurn();
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('queues one setImmediate per turn, however many connections are scheduled', () => {
    const spy = jest.spyOn(global, 'setImmediate');
    try {
      const batcher = new WriteBatcher();
      for (const name of ['a', 'b', 'c', 'd'])
        batcher.schedule(asConnection(fakeConnection(name, [])));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy).toHaveBeenCalledWith(batcher.flushAll);
    } finally {
      spy.mockRestore();
    }
  });

  it('flushes a connection scheduled during a flush in the next turn, not in the same pass', async () => {
    const log: string[] = [];
    const batcher = new WriteBatcher();
    const late = fakeConnection('late', log);
    const early = fakeConnection('early', log, () => batcher.schedule(asConnection(late)));
    batcher.schedule(asConnection(early));
    await nextTurn();
    expect(log).toEqual(['early']);
    await nextTurn();
    expect(log).toEqual(['early', 'late']);
  });

  it('keeps working turn after turn with its swapped lists', async () => {
    const log: string[] = [];
    const batcher = new WriteBatcher();
    for (let turn = 0; turn < 5; turn++) {
      batcher.schedule(asConnection(fakeConnection(`x${turn}`, log)));
      batcher.schedule(asConnection(fakeConnection(`y${turn}`, log)));
      await nextTurn();
    }
    expect(log).toEqual(['x0', 'y0', 'x1', 'y1', 'x2', 'y2', 'x3', 'y3', 'x4', 'y4']);
  });

  it('flushAll flushes at once when called directly, and the queued turn then finds nothing', async () => {
    const log: string[] = [];
    const batcher = new WriteBatcher();
    batcher.schedule(asConnection(fakeConnection('a', log)));
    batcher.flushAll();
    expect(log).toEqual(['a']);
    await nextTurn();
    expect(log).toEqual(['a']);
  });
});
