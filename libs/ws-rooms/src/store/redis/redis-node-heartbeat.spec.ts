import { LogSequencer } from './redis-log-sequencer';
import { NodeHeartbeat } from './redis-node-heartbeat';
import { PublishBudget } from './redis-publish-budget';
import { FakeNode, fakeContext } from './redis-store.spec.support';

function setup() {
  const context = fakeContext();
  const node = new FakeNode();
  node.index.add('id-a', 'lobby');
  context.state.node = node;
  let sequencer: LogSequencer | null = null;
  let gauges = 0;
  const heartbeat = new NodeHeartbeat(context, {
    connectionCount: () => 3,
    presence: () => null,
    sequencer: () => sequencer,
    updateGauges: () => void gauges++,
  });
  return {
    context,
    heartbeat,
    client: context.fakeClient,
    gauges: () => gauges,
    withSequencer: () => {
      sequencer = new LogSequencer(
        context,
        { windowMs: 1000, maxMessages: 10 },
        new PublishBudget(1024),
      );
      return sequencer;
    },
  };
}

describe('NodeHeartbeat', () => {
  it("writes the node's key with a snapshot and joins the node set, on its own timer", async () => {
    const { context, heartbeat, client, gauges } = setup();
    heartbeat.starting();
    await heartbeat.beat();
    expect(JSON.parse(client.strings.get('t:node:me')!)).toMatchObject({
      nodeId: 'me',
      connections: 3,
      rooms: 1,
      pid: process.pid,
      startedAt: context.scheduler.wallNow!(), // the wall clock: other machines read it
    });
    expect([...client.sets.get('t:nodes')!]).toEqual(['me']);
    expect(context.stats.heartbeats).toBe(1);
    expect(gauges()).toBe(1);
    heartbeat.start();
    expect(context.manualScheduler.ticks).toHaveLength(1);
    heartbeat.stop();
    expect(context.manualScheduler.ticks).toHaveLength(0);
  });

  it('live nodes are the registered ones whose key exists; the others are forgotten', async () => {
    const { heartbeat, client } = setup();
    await heartbeat.beat();
    client.sets.get('t:nodes')!.add('gone');
    client.strings.set('t:node:alive', '{}');
    client.sets.get('t:nodes')!.add('alive');
    expect((await heartbeat.liveNodes()).sort()).toEqual(['alive', 'me']);
    // Without presence, a dead node is forgotten by the FORGET_NODE script.
    await new Promise(setImmediate);
    expect(client.evals).toHaveLength(1);
    expect(client.evals[0].args).toContain('gone');
  });

  it('no heartbeat, and no live nodes, while Redis is away', async () => {
    const { heartbeat, client, context } = setup();
    client.status = 'reconnecting';
    await heartbeat.beat();
    expect(await heartbeat.liveNodes()).toEqual([]);
    expect(context.stats.heartbeats).toBe(0);
  });

  it('retries loading the log scripts on each beat until it works', async () => {
    const { heartbeat, client, withSequencer } = setup();
    const sequencer = withSequencer();
    client.failScripts = true;
    await heartbeat.beat();
    expect(sequencer.loaded).toBe(false);
    client.failScripts = false;
    await heartbeat.beat();
    expect(sequencer.loaded).toBe(true);
  });

  it('leaves the cluster: its key and its place in the node set go at once', async () => {
    const { heartbeat, client } = setup();
    await heartbeat.beat();
    await heartbeat.leave();
    expect(client.strings.has('t:node:me')).toBe(false);
    expect([...client.sets.get('t:nodes')!]).toEqual([]);
  });
});
