import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import { SendBuffer } from './send-buffer';

const drain = <T>(buffer: SendBuffer<T>): T[] => {
  const items: T[] = [];
  for (let item = buffer.shift(); item !== undefined; item = buffer.shift()) items.push(item);
  return items;
};

describe('SendBuffer', () => {
  it('gives messages back in the order they were pushed', () => {
    const buffer = new SendBuffer<string>(10, 'reject');
    ['a', 'b', 'c'].forEach((item) => buffer.push(item));
    expect(buffer.size).toBe(3);
    expect(drain(buffer)).toEqual(['a', 'b', 'c']);
    expect(buffer.size).toBe(0);
    expect(buffer.shift()).toBeUndefined();
  });

  it("'drop-oldest' keeps the newest N and returns what it dropped", () => {
    const buffer = new SendBuffer<number>(3, 'drop-oldest');
    const dropped = [1, 2, 3, 4, 5].map((item) => buffer.push(item));
    expect(dropped).toEqual([undefined, undefined, undefined, 1, 2]);
    expect(drain(buffer)).toEqual([3, 4, 5]);
  });

  it("'reject' throws the typed error and keeps what it had", () => {
    const buffer = new SendBuffer<number>(2, 'reject');
    buffer.push(1);
    buffer.push(2);
    let thrown: unknown;
    try {
      buffer.push(3);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WsRoomsClientError);
    expect((thrown as WsRoomsClientError).code).toBe('WS_ROOMS_CLIENT_BUFFER_FULL');
    expect(drain(buffer)).toEqual([1, 2]);
  });

  it('with capacity 0 buffers nothing', () => {
    const dropping = new SendBuffer<string>(0, 'drop-oldest');
    expect(dropping.push('x')).toBe('x');
    expect(dropping.size).toBe(0);
    expect(() => new SendBuffer<string>(0, 'reject').push('x')).toThrow(
      expect.objectContaining({ code: WsRoomsClientErrorCode.BufferFull }),
    );
  });

  it('stays in order across its internal compaction', () => {
    const buffer = new SendBuffer<number>(100, 'drop-oldest');
    const expected: number[] = [];
    for (let i = 0; i < 1000; i++) buffer.push(i);
    for (let i = 900; i < 1000; i++) expected.push(i);
    for (let i = 0; i < 70; i++) expect(buffer.shift()).toBe(expected.shift());
    for (let i = 1000; i < 1050; i++) {
      buffer.push(i);
      expected.push(i);
    }
    expect(drain(buffer)).toEqual(expected.slice(-100));
  });

  it('clears', () => {
    const buffer = new SendBuffer<number>(5, 'reject');
    buffer.push(1);
    buffer.clear();
    expect(buffer.size).toBe(0);
    buffer.push(2);
    expect(drain(buffer)).toEqual([2]);
  });

  it.each([[-1], [1.5], [Number.NaN], [Infinity]])('refuses capacity %p', (capacity) => {
    expect(() => new SendBuffer<number>(capacity, 'reject')).toThrow(
      expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidOption }),
    );
  });

  it('refuses an unknown policy', () => {
    expect(() => new SendBuffer<number>(1, 'drop-newest' as never)).toThrow(
      expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidOption }),
    );
  });

  it('removes one message by identity, wherever it sits', () => {
    const buffer = new SendBuffer<{ n: number }>(10, 'reject');
    const items = [1, 2, 3].map((n) => ({ n }));
    items.forEach((item) => buffer.push(item));
    buffer.shift();
    expect(buffer.remove(items[0])).toBe(false);
    expect(buffer.remove({ n: 3 })).toBe(false);
    expect(buffer.remove(items[2])).toBe(true);
    expect(buffer.size).toBe(1);
    expect(buffer.remove(items[1])).toBe(true);
    expect(buffer.size).toBe(0);
    buffer.push(items[0]);
    expect(drain(buffer)).toEqual([items[0]]);
  });
});
