import type { OutboundBroadcast } from '../room-store.interface';
import { LogSequencer } from './redis-log-sequencer';
import { PublishBudget } from './redis-publish-budget';
import { FakeNode, fakeContext } from './redis-store.spec.support';

const say = (size = 3, rooms: readonly string[] | null = null): OutboundBroadcast => ({
  message: Buffer.alloc(size, 0x61),
  binary: false,
  rooms,
  except: [],
  volatile: false,
});

async function setup(options: { budget?: number; maxMessageBytes?: number } = {}) {
  const context = fakeContext({ maxMessageBytes: options.maxMessageBytes });
  const node = new FakeNode();
  context.state.node = node;
  const sequencer = new LogSequencer(
    context,
    { windowMs: 60_000, maxMessages: 100 },
    new PublishBudget(options.budget ?? 1024 * 1024),
  );
  await sequencer.load();
  return { context, node, sequencer, client: context.fakeClient };
}

describe('LogSequencer', () => {
  it('numbers a broadcast with one script run, stamped with the wall clock', async () => {
    const { sequencer, client, context } = await setup();
    expect(sequencer.sequence(say())).toBe(true);
    expect(client.evals).toHaveLength(1);
    const [, , maxMessages, now, windowMs] = client.evals[0].args.slice(3);
    expect([maxMessages, now, windowMs]).toEqual([100, context.scheduler.wallNow!(), 60_000]);
    expect(context.stats.logged).toBe(1);
  });

  it('refuses (the server then delivers unlogged) until the scripts are loaded, and while disconnected', async () => {
    const { sequencer, context } = await setup();
    sequencer.forget();
    expect(sequencer.sequence(say())).toBe(false);
    await sequencer.load();
    context.state.connected = false;
    expect(sequencer.sequence(say())).toBe(false);
    context.state.connected = true;
    expect(sequencer.sequence(say())).toBe(true);
  });

  it('refuses what breaks the wire limits, and beyond the unacknowledged budget', async () => {
    const limited = await setup({ maxMessageBytes: 4096 });
    expect(limited.sequencer.sequence(say(4096))).toBe(false);
    expect(limited.sequencer.sequence(say(1, ['r'.repeat(4097)]))).toBe(false);
    expect(limited.client.evals).toHaveLength(0);
    const budgeted = await setup({ budget: 10 });
    budgeted.client.evalsha = () => new Promise(() => undefined); // Redis never answers
    expect(budgeted.sequencer.sequence(say(20))).toBe(true);
    expect(budgeted.sequencer.sequence(say(20))).toBe(false);
  });

  it('delivers locally, unlogged, when Redis refuses the script', async () => {
    const { sequencer, client, node, context } = await setup();
    client.failScripts = true;
    const broadcast = say();
    expect(sequencer.sequence(broadcast)).toBe(true);
    await new Promise(setImmediate);
    expect(node.delivered).toEqual([broadcast]);
    expect(context.stats.logFailures).toBe(1);
  });
});
