import WebSocket from 'ws';
import type { Connection } from '../../connection/connection';
import { FragmentWatch, receiverFieldsBehave } from './fragment-watch';

/** A connection whose `ws` carries a stand-in receiver with the two fields the watch reads. */
function connectionWith(receiver: { _fragmented: number; _fragments: unknown[] }) {
  return { closed: false, ws: { _receiver: receiver } } as unknown as Connection;
}

function setup(timeout: number) {
  let now = 0;
  const closed: [Connection, number, string][] = [];
  const warnings: string[] = [];
  const connections: Connection[] = [];
  const watch = new FragmentWatch(
    timeout,
    { now: () => now, every: () => ({ cancel: () => undefined }) },
    {
      connections: () => connections,
      close: (connection, code, reason) => void closed.push([connection, code, reason]),
      warn: (message) => void warnings.push(message),
    },
  );
  return { watch, closed, warnings, connections, advance: (ms: number) => void (now += ms) };
}

describe('FragmentWatch', () => {
  it("pins the installed ws: its Receiver's _fragmented and _fragments say what the watch assumes", () => {
    // Fails when a ws upgrade changes them: the timeout would then be off (with a warning).
    expect(typeof (WebSocket as unknown as { Receiver?: unknown }).Receiver).toBe('function');
    expect(receiverFieldsBehave()).toBe(true);
  });

  it('closes with 1008 a connection whose same message stays open a whole timeout', () => {
    const { watch, closed, connections, advance } = setup(1000);
    const receiver = { _fragmented: 1, _fragments: ['a'] };
    const connection = connectionWith(receiver);
    connections.push(connection);
    watch.sweep();
    advance(999);
    watch.sweep();
    expect(closed).toEqual([]);
    advance(1);
    watch.sweep();
    expect(closed).toEqual([[connection, 1008, 'message not completed in time']]);
  });

  it('a new message (a new fragment array) starts the clock again; a finished one is forgotten', () => {
    const { watch, closed, connections, advance } = setup(1000);
    const receiver = { _fragmented: 1, _fragments: ['a'] as unknown[] };
    connections.push(connectionWith(receiver));
    watch.sweep();
    advance(800);
    receiver._fragments = ['b'];
    watch.sweep();
    advance(800);
    watch.sweep();
    expect(closed).toEqual([]);
    receiver._fragmented = 0;
    receiver._fragments = [];
    advance(5000);
    watch.sweep();
    expect(closed).toEqual([]);
  });

  it('checks every quarter of the timeout, at most every second, at least every 5 ms', () => {
    expect(setup(400).watch.tickInterval).toBe(100);
    expect(setup(20_000).watch.tickInterval).toBe(1000);
    expect(setup(8).watch.tickInterval).toBe(5);
  });

  it('fragmentTimeout 0 starts no timer', () => {
    let timers = 0;
    const watch = new FragmentWatch(
      0,
      { now: () => 0, every: () => ((timers += 1), { cancel: () => undefined }) },
      { connections: () => [], close: () => undefined, warn: () => undefined },
    );
    watch.start();
    expect(timers).toBe(0);
  });
});
