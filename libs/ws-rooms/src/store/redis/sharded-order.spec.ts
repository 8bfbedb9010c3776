import { type ShardedEnvelope } from './sharded-envelope';
import { ShardedOrder, type ShardedOrderLimits } from './sharded-order';

const EPOCH = 42;

function message(sequence: number, text: string, copies = 1, epoch = EPOCH): ShardedEnvelope {
  return { ordered: true, fence: false, copies, epoch, sequence, body: Buffer.from(text) };
}

function fence(sequence: number, copies: number, epoch = EPOCH): ShardedEnvelope {
  return { ordered: true, fence: true, copies, epoch, sequence, body: Buffer.alloc(0) };
}

function setup(limits: Partial<ShardedOrderLimits> = {}) {
  const delivered: string[] = [];
  const dropped: string[] = [];
  let timedOut = 0;
  const order = new ShardedOrder(
    { fenceTimeoutMs: 50, maxHeld: 100, maxHeldBytes: 1000, maxOrigins: 10, ...limits },
    {
      deliver: (_channel, body) => delivered.push(body.toString()),
      timedOut: () => timedOut++,
      dropped: (reason) => dropped.push(reason),
      late: () => dropped.push('delivered late'),
    },
  );
  const channel = Buffer.from('c');
  return {
    order,
    delivered,
    dropped,
    timedOut: () => timedOut,
    receive: (envelope: ShardedEnvelope) => order.receive(channel, envelope),
  };
}

describe('ShardedOrder', () => {
  afterEach(() => jest.useRealTimers());

  it('delivers single messages as they come, whatever their sequence', () => {
    const { receive, delivered } = setup();
    receive(message(2, 'b'));
    receive(message(1, 'a'));
    receive({ ...message(9, 'q'), ordered: false });
    expect(delivered).toEqual(['b', 'a', 'q']);
  });

  it('delivers a node-wide broadcast once all its copies came, after what came before it', () => {
    const { receive, delivered } = setup();
    // Shard B delivers the broadcast's fence before shard A delivers the room message sent first.
    receive(fence(2, 3));
    expect(delivered).toEqual([]);
    receive(message(1, 'room message'));
    receive(message(2, 'to all', 3));
    expect(delivered).toEqual(['room message']);
    receive(fence(2, 3));
    expect(delivered).toEqual(['room message', 'to all']);
  });

  it('holds what the origin sent after an incomplete node-wide broadcast, then releases it in order', () => {
    const { receive, delivered, order } = setup();
    receive(message(5, 'to all', 2));
    receive(message(7, 'later on shard A'));
    receive(message(6, 'earlier on shard A'));
    expect(delivered).toEqual([]);
    expect(order.holding).toBe(1);
    receive(fence(5, 2));
    expect(delivered).toEqual(['to all', 'earlier on shard A', 'later on shard A']);
    expect(order.holding).toBe(0);
  });

  it('keeps origins apart', () => {
    const { receive, delivered } = setup();
    receive(message(1, 'all from 42', 2));
    receive(message(2, 'other origin', 1, 7));
    expect(delivered).toEqual(['other origin']);
  });

  it('drops the late fence of a broadcast already delivered', () => {
    const { receive, delivered, dropped } = setup();
    receive(message(3, 'to all', 2));
    receive(fence(3, 2));
    receive(fence(3, 2));
    expect(delivered).toEqual(['to all']);
    expect(dropped).toEqual(['late']);
  });

  it('delivers a broadcast whose fence never comes after the timeout, and what it held', () => {
    jest.useFakeTimers();
    const { receive, delivered, timedOut } = setup({ fenceTimeoutMs: 1000 });
    receive(message(1, 'to all', 2));
    receive(message(2, 'after'));
    jest.advanceTimersByTime(999);
    expect(delivered).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(delivered).toEqual(['to all', 'after']);
    expect(timedOut()).toBe(1);
  });

  it('counts a broadcast whose body never came', () => {
    jest.useFakeTimers();
    const { receive, delivered, dropped } = setup();
    receive(fence(1, 2));
    receive(fence(1, 2));
    expect(delivered).toEqual([]);
    expect(dropped).toEqual(['no-body']);
  });

  it('delivers late, not never, a body that comes after its fences timed out', () => {
    jest.useFakeTimers();
    const { receive, delivered, dropped } = setup({ fenceTimeoutMs: 100 });
    receive(fence(1, 2));
    receive(message(2, 'after'));
    jest.advanceTimersByTime(100);
    expect(delivered).toEqual(['after']);
    receive(message(1, 'to all, late', 2));
    expect(delivered).toEqual(['after', 'to all, late']);
    expect(dropped).toEqual(['no-body', 'delivered late']);
    // Once only.
    receive(message(1, 'to all, late', 2));
    expect(delivered).toHaveLength(2);
  });

  it('bounds what it holds per origin', () => {
    const { receive, delivered, dropped } = setup({ maxHeld: 3 });
    receive(message(1, 'to all', 2));
    receive(message(2, 'a'));
    receive(message(3, 'b'));
    receive(message(4, 'c'));
    // The hold was full: the broadcast was released without its fence, then what followed it.
    expect(dropped).toEqual(['overflow']);
    expect(delivered).toEqual(['to all', 'a', 'b', 'c']);
  });

  it('bounds the bytes it holds, all origins together', () => {
    const { receive, delivered, dropped, order } = setup({ maxHeldBytes: 10 });
    receive(message(1, 'to all', 2));
    expect(order.bytes).toBe(6);
    receive(message(2, 'after'));
    // 11 bytes held: the origin's messages were released in order, the fence never came.
    expect(dropped).toEqual(['overflow']);
    expect(delivered).toEqual(['to all', 'after']);
    expect(order.bytes).toBe(0);
    receive(message(3, 'ok', 2, 9));
    receive(fence(3, 2, 9));
    expect(delivered).toEqual(['to all', 'after', 'ok']);
    expect(order.bytes).toBe(0);
  });

  it('bounds the origins it remembers', () => {
    const { receive, delivered, order } = setup({ maxOrigins: 2 });
    receive(message(1, 'x', 2, 1));
    receive(message(1, 'y', 2, 2));
    receive(message(1, 'z', 2, 3));
    // The oldest origin was flushed to make room.
    expect(delivered).toEqual(['x']);
    expect(order.holding).toBe(2);
    order.clear();
    expect(order.holding).toBe(0);
  });
});
