import { ClusterQueries } from './redis-cluster-queries';
import { RedisReplies } from './redis-replies';
import { FakeNode, fakeContext } from './redis-store.spec.support';
import { decodeWire, encodeReply, WireKind, type WireReplyBody } from './redis-wire';

function setup() {
  const context = fakeContext({ requestTimeout: 50 });
  const node = new FakeNode();
  node.ids.add('id-a');
  node.ids.add('id-b');
  node.index.add('id-a', 'lobby');
  node.index.add('id-b', 'lobby');
  node.index.add('id-b', 'kitchen');
  context.state.node = node;
  const replies = new RedisReplies(context);
  const queries = new ClusterQueries(context, replies);
  /** The request this node published last, and a way to answer it as another node. */
  const lastRequest = () => {
    const sent = context.fakeClient.publishedOn('t:req').at(-1)!;
    const decoded = decodeWire(sent);
    if (!decoded.ok || decoded.message.kind !== WireKind.Request) throw new Error('no request');
    const { id, query } = decoded.message;
    return {
      query,
      answer: (from: string, body: Omit<WireReplyBody, 'id'>) =>
        replies.received(from, { id, ...body }),
    };
  };
  return { context, node, replies, queries, lastRequest };
}

/** Lets the query publish and learn the live nodes. */
const published = () => new Promise(setImmediate);

describe('ClusterQueries: asking', () => {
  it('merges the answers of every live node, complete once each answered', async () => {
    const { queries, lastRequest, context } = setup();
    context.state.live = ['me', 'n2', 'n3'];
    const members = queries.members('lobby');
    await published();
    lastRequest().answer('n2', { list: ['id-c', 'id-a'] });
    lastRequest().answer('n3', { list: [] });
    const result = await members;
    expect(result.partial).toBe(false);
    expect(result.value.sort()).toEqual(['id-a', 'id-b', 'id-c']);
    expect(context.stats.queries).toBe(1);
  });

  it('sums counts; a live node that does not answer in time makes it partial', async () => {
    const { queries, lastRequest, context } = setup();
    context.state.live = ['me', 'n2', 'silent'];
    const count = queries.connectionCount();
    await published();
    lastRequest().answer('n2', { count: 5 });
    // requestTimeout (50 ms here) passes for the silent node.
    expect(await count).toEqual({ value: 7, partial: true });
    expect(context.stats.partialQueries).toBe(1);
  });

  it("roomsOf answers locally for a local connection, else ends with the owner's answer", async () => {
    const { queries, lastRequest, context } = setup();
    expect(await queries.roomsOf('id-b')).toEqual({ value: ['lobby', 'kitchen'], partial: false });
    context.state.live = ['me', 'owner', 'slow'];
    const remote = queries.roomsOf('id-far');
    await published();
    lastRequest().answer('owner', { list: ['x'] });
    expect(await remote).toEqual({ value: ['x'], partial: false });
  });

  it('answers with this node only, partial, while Redis is away', async () => {
    const { queries, context } = setup();
    context.fakeClient.status = 'reconnecting';
    expect(await queries.rooms()).toEqual({ value: ['lobby', 'kitchen'], partial: true });
    expect(context.fakeClient.published).toEqual([]);
  });

  it('rejects before start or after close', async () => {
    const { queries, context } = setup();
    context.state.node = null;
    await expect(queries.rooms()).rejects.toThrow(
      'RedisRoomStore used before start() or after close()',
    );
  });
});

describe('ClusterQueries: answering another node', () => {
  it("answers from this node's index, an id's members being that connection only", () => {
    const { queries, node, context } = setup();
    // A room spelled like an id, in an index a server let it into: an id query does not list it.
    node.index.add('id-b', 'id-a');
    queries.answer('asker', 1, { kind: 'members', room: 'id-a' }, node);
    queries.answer('asker', 2, { kind: 'members', room: 'lobby' }, node);
    queries.answer('asker', 3, { kind: 'members', room: 'id-elsewhere' }, node);
    queries.answer('asker', 4, { kind: 'roomsOf', connectionId: 'id-nobody' }, node);
    queries.answer('asker', 5, { kind: 'count' }, node);
    expect(context.fakeClient.publishedOn('t:res:asker')).toEqual([
      encodeReply('me', { id: 1, list: ['id-a'] }),
      encodeReply('me', { id: 2, list: ['id-a', 'id-b'] }),
      encodeReply('me', { id: 3, list: [] }),
      encodeReply('me', { id: 4, list: null }),
      encodeReply('me', { id: 5, count: 2 }),
    ]);
    expect(context.stats.requestsAnswered).toBe(5);
  });

  it("asks this node's recipients of a room request and reports what they answered", async () => {
    const { queries, node, context } = setup();
    const query = {
      kind: 'request' as const,
      rooms: ['lobby'],
      except: [],
      event: 'ask',
      value: { value: 1 },
      timeout: 100,
    };
    queries.answer('asker', 6, query, node);
    await published();
    expect(context.fakeClient.publishedOn('t:res:asker')).toEqual([
      encodeReply('me', {
        id: 6,
        report: { replies: [['id-1', { value: 'yes' }]], errors: [], missing: ['id-2'] },
      }),
    ]);
  });
});
