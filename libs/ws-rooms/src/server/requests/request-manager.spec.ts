import type { Connection } from '../../connection/connection';
import { MemoryRoomStore } from '../../store/memory-room-store';
import { RoomIndex } from '../../store/room-index';
import { Recipients } from '../outbound/recipients';
import { RequestManager } from './request-manager';

/** The request part reads a connection's id, `closed` and `requests`, and queues frames on it. */
function fakeConnection(id: string) {
  const sent: string[] = [];
  const connection = {
    id,
    closed: false,
    requests: undefined,
    sendFrame: (frame: Buffer) => void sent.push(frame.toString()),
  };
  return { connection: connection as unknown as Connection, sent };
}

function setup(ids: string[]) {
  const fakes = new Map(ids.map((id) => [id, fakeConnection(id)]));
  const connections = new Map([...fakes].map(([id, fake]) => [id, fake.connection]));
  const index = new RoomIndex();
  for (const id of ids) index.add(id, 'room');
  const manager = new RequestManager(
    { frameEvent: (event, value) => Buffer.from(`${event}:${JSON.stringify(value)}`) },
    new Recipients(connections, index, (name) => connections.has(name)),
    new MemoryRoomStore(),
    1000,
  );
  return { manager, fakes };
}

describe('RequestManager', () => {
  it('numbers requests per connection and settles each with its reply', async () => {
    const { manager, fakes } = setup(['a']);
    const { connection, sent } = fakes.get('a')!;
    const first = manager.request(connection, 'ask', 1);
    const second = manager.request(connection, 'ask', 2);
    expect(sent).toEqual([
      'ws-rooms:req:{"id":1,"event":"ask","value":1}',
      'ws-rooms:req:{"id":2,"event":"ask","value":2}',
    ]);
    manager.replied(connection, { id: 2, ok: true, value: 'two' });
    manager.replied(connection, {
      id: 1,
      ok: false,
      error: { code: 'WS_ROOMS_FORBIDDEN', message: 'no' },
    });
    await expect(second).resolves.toBe('two');
    await expect(first).rejects.toMatchObject({ code: 'WS_ROOMS_FORBIDDEN', message: 'no' });
  });

  it('ignores replies to unknown ids, and times out with WS_ROOMS_REQUEST_TIMEOUT', async () => {
    const { manager, fakes } = setup(['a']);
    const { connection } = fakes.get('a')!;
    const pending = manager.request(connection, 'ask', null, 20);
    manager.replied(connection, { id: 99, ok: true, value: 'stray' });
    await expect(pending).rejects.toMatchObject({ code: 'WS_ROOMS_REQUEST_TIMEOUT' });
    expect(connection.requests!.pending.size).toBe(0);
  });

  it('aborts what is pending when the connection closes, and refuses new requests on it', async () => {
    const { manager, fakes } = setup(['a']);
    const { connection } = fakes.get('a')!;
    const pending = manager.request(connection, 'ask', null);
    manager.abortAll(connection, 1006);
    await expect(pending).rejects.toMatchObject({ code: 'WS_ROOMS_REQUEST_ABORTED' });
    (connection as { closed: boolean }).closed = true;
    await expect(manager.request(connection, 'ask', null)).rejects.toMatchObject({
      code: 'WS_ROOMS_REQUEST_ABORTED',
    });
  });

  it('requestLocally() sorts answers into replies, errors and missing', async () => {
    const { manager, fakes } = setup(['a', 'b', 'c']);
    const result = manager.requestLocally({
      rooms: ['room'],
      except: [],
      event: 'ask',
      value: null,
      timeout: 30,
    });
    manager.replied(fakes.get('a')!.connection, { id: 1, ok: true, value: 'yes' });
    manager.replied(fakes.get('b')!.connection, {
      id: 1,
      ok: false,
      error: { code: 'WS_ROOMS_HANDLER_ERROR', message: 'boom' },
    });
    const { replies, errors, missing, partial } = await result;
    expect([...replies]).toEqual([['a', 'yes']]);
    expect([...errors]).toEqual([['b', { code: 'WS_ROOMS_HANDLER_ERROR', message: 'boom' }]]);
    expect([missing, partial]).toEqual([['c'], false]);
  });
});
