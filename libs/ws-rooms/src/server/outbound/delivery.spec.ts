import type { Connection } from '../../connection/connection';
import { MessageCodec } from '../../protocol/message-codec';
import { DEFAULT_PREFIX } from '../../protocol/protocol.constants';
import { MemoryRoomStore } from '../../store/memory-room-store';
import { RoomIndex } from '../../store/room-index';
import type { OutboundBroadcast } from '../../store/room-store.interface';
import { createStats } from '../server-stats';
import { Delivery } from './delivery';
import { Recipients } from './recipients';

/** Delivery hands frames to `sendFrame`; this one records them and can refuse them. */
function fakeConnection(id: string, accepts = true) {
  const frames: Buffer[] = [];
  const connection = {
    id,
    sendFrame: (frame: Buffer) => (accepts ? frames.push(frame) > 0 : false),
  };
  return { connection: connection as unknown as Connection, frames };
}

class PublishingStore extends MemoryRoomStore {
  readonly published: OutboundBroadcast[] = [];
  override publish(broadcast: OutboundBroadcast): void {
    this.published.push(broadcast);
  }
}

function setup(fakes: ReturnType<typeof fakeConnection>[]) {
  const connections = new Map(fakes.map((fake) => [fake.connection.id, fake.connection]));
  const index = new RoomIndex();
  for (const fake of fakes) index.add(fake.connection.id, 'room');
  const store = new PublishingStore();
  const stats = createStats();
  const delivery = new Delivery(
    new MessageCodec(DEFAULT_PREFIX),
    new Recipients(connections, index, (name) => connections.has(name)),
    store,
    stats,
    false,
  );
  return { delivery, store, stats };
}

describe('Delivery', () => {
  it('frames a broadcast once and queues the same buffer for every recipient, then publishes it', () => {
    const a = fakeConnection('a');
    const b = fakeConnection('b');
    const { delivery, store, stats } = setup([a, b]);
    const message = delivery.encodeEvent('chat', 'hi');
    delivery.broadcast(message, false, ['room'], [], false);
    expect(a.frames).toHaveLength(1);
    expect(a.frames[0]).toBe(b.frames[0]);
    expect(store.published).toEqual([
      { message, binary: false, rooms: ['room'], except: [], volatile: false },
    ]);
    expect(stats.messagesOut).toBe(2);
    expect(stats.bytesOut).toBe(2 * a.frames[0].length);
  });

  it('counts a volatile frame a backed-up recipient refused as dropped', () => {
    const a = fakeConnection('a');
    const slow = fakeConnection('slow', false);
    const { delivery, stats } = setup([a, slow]);
    delivery.broadcast(delivery.encodeEvent('tick', 1), false, null, [], true);
    expect([stats.messagesOut, stats.volatileDrops]).toEqual([1, 1]);
  });

  it('lets a delivery hook send to the recipients it claims, and take a broadcast over', () => {
    const plain = fakeConnection('plain');
    const special = fakeConnection('special');
    const { delivery, store } = setup([plain, special]);
    const offsets: (number | undefined)[] = [];
    delivery.hook = {
      publishing: (broadcast) => broadcast.except.includes('sequenced'),
      delivering: (_broadcast, _frame, offset) => {
        offsets.push(offset);
        return (connection) => (connection.id === 'special' ? false : undefined);
      },
    };
    delivery.broadcast(delivery.encodeEvent('x', 1), false, ['room'], [], false);
    expect([plain.frames.length, special.frames.length]).toEqual([1, 0]);
    delivery.broadcast(delivery.encodeEvent('x', 2), false, ['room'], ['sequenced'], false);
    expect(store.published).toHaveLength(1);
    delivery.deliverLocally(store.published[0], 42);
    expect(offsets).toEqual([undefined, 42]);
  });

  it('sends bytes that are not UTF-8 as binary frames', () => {
    const { delivery } = setup([]);
    expect(delivery.isBinaryFrame(Buffer.from('text'))).toBe(false);
    expect(delivery.isBinaryFrame(Buffer.from([0xff, 0xfe]))).toBe(true);
    expect(delivery.frameNative(Buffer.from([0xff]))[0] & 0x0f).toBe(2);
  });
});
