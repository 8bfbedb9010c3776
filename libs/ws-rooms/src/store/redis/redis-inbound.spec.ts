import type { OutboundBroadcast } from '../room-store.interface';
import { InboundMessages, type InboundHandlers } from './redis-inbound';
import { FakeNode, fakeContext } from './redis-store.spec.support';
import {
  encodeBroadcast,
  encodeCommand,
  encodeLoggedParts,
  encodeReply,
  encodeRequest,
} from './redis-wire';

const broadcast: OutboundBroadcast = {
  message: Buffer.from('hi'),
  binary: false,
  rooms: ['r'],
  except: [],
  volatile: false,
};

function setup() {
  const context = fakeContext({ maxMessageBytes: 4096 });
  const node = new FakeNode();
  context.state.node = node;
  const seen: string[] = [];
  const handlers: InboundHandlers = {
    command: (origin, id, command) => void seen.push(`command ${origin} ${id} ${command.kind}`),
    query: (origin, id, query) => void seen.push(`query ${origin} ${id} ${query.kind}`),
    reply: (origin, reply) => void seen.push(`reply ${origin} ${reply.id}`),
    logged: (offset) => void seen.push(`logged ${offset}`),
  };
  const inbound = new InboundMessages(context, handlers);
  const receive = (data: Buffer) => inbound.onMessage(Buffer.from('channel'), data);
  return { context, node, seen, receive };
}

describe('InboundMessages', () => {
  it('hands each kind of message on, and delivers broadcasts', () => {
    const { node, seen, receive, context } = setup();
    receive(encodeBroadcast('other', broadcast));
    receive(encodeCommand('other', 1, { kind: 'leave', connectionId: 'id-a', room: 'r' }));
    receive(encodeRequest('other', 2, { kind: 'count' }));
    receive(encodeReply('other', { id: 3, count: 1 }));
    const { head, body } = encodeLoggedParts('other', broadcast);
    receive(Buffer.concat([head, Buffer.from('42-0;'), body]));
    expect(node.delivered).toEqual([broadcast]);
    expect(seen).toEqual([
      'command other 1 leave',
      'query other 2 count',
      'reply other 3',
      'logged 42',
    ]);
    expect(context.stats).toMatchObject({ received: 5, delivered: 2 });
  });

  it("drops this node's own echo, except a logged broadcast (every node delivers those)", () => {
    const { node, seen, receive, context } = setup();
    receive(encodeBroadcast('me', broadcast));
    const { head, body } = encodeLoggedParts('me', broadcast);
    receive(Buffer.concat([head, Buffer.from('7-0;'), body]));
    expect(node.delivered).toEqual([]);
    expect(seen).toEqual(['logged 7']);
    expect(context.stats.echoesIgnored).toBe(1);
  });

  it('counts what does not decode apart from what breaks a limit, and reports each by its kind', () => {
    const { node, receive, context } = setup();
    receive(Buffer.from('not ours'));
    receive(Buffer.from('not ours either'));
    receive(encodeBroadcast('other', { ...broadcast, message: Buffer.alloc(4096) }));
    expect(node.delivered).toEqual([]);
    expect(context.stats).toMatchObject({ malformedMessages: 2, messagesOverLimits: 1 });
    expect(context.failures).toEqual([
      expect.stringMatching(/^malformed: ignored a malformed message: WIRE_BAD_MAGIC/),
      expect.stringMatching(/^malformed: ignored a malformed message: WIRE_BAD_MAGIC/),
      'over-limits: dropped a message beyond the limits: message of 4119 bytes (at most 4096)',
    ]);
  });

  it('does nothing with valid messages unless the store runs', () => {
    const { node, seen, receive, context } = setup();
    context.state.running = false;
    receive(encodeBroadcast('other', broadcast));
    receive(encodeRequest('other', 2, { kind: 'count' }));
    expect(node.delivered).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('never lets an error out to ioredis', () => {
    const { node, receive, context } = setup();
    node.deliverLocally = () => {
      throw new Error('a handler broke');
    };
    expect(() => receive(encodeBroadcast('other', broadcast))).not.toThrow();
    expect(context.failures).toEqual([
      expect.stringContaining(
        'handler: handling a message from Redis failed: Error: a handler broke',
      ),
    ]);
  });
});
