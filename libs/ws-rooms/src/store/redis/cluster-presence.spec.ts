import { keySlot } from './cluster-slot';
import { addInCluster, forgetNodeInCluster } from './cluster-presence';
import type { RedisClient } from './redis-client';
import { RedisKeys } from './redis-keys';

const keys = new RedisKeys('app', true);

/**
 * Records the scripts run and checks what Redis Cluster would: the keys of one script are in one
 * slot (the real scripts run on a real cluster in test/redis/redis-sharded-extensions.e2e-spec.ts).
 */
function recordingClient(replies: (keys: string[]) => unknown) {
  const runs: string[][] = [];
  const run = (count: number, args: (string | Buffer | number)[]) => {
    const named = args.slice(0, count).map(String);
    expect(new Set(named.map((key) => keySlot(key))).size).toBe(1);
    runs.push(named);
    return Promise.resolve(replies(named));
  };
  const client = {
    evalsha: (_sha: string, count: number, ...args: (string | Buffer | number)[]) =>
      run(count, args),
    eval: (_script: string, count: number, ...args: (string | Buffer | number)[]) =>
      run(count, args),
  } as unknown as RedisClient;
  return { client, runs };
}

describe('presence on a Redis Cluster', () => {
  it("records the room in the node's set first, then the member in the room's slot", async () => {
    const { client, runs } = recordingClient((named) =>
      named.length === 1 ? 1 : [3, ['a1', '3:{}']],
    );
    expect(await addInCluster(client, keys, 'n1', 'lobby', 'a1', '{}')).toEqual([
      3,
      ['a1', '3:{}'],
    ]);
    expect(runs).toEqual([
      [keys.presenceRooms('n1')],
      [keys.presence('lobby'), keys.presenceVersion('lobby')],
    ]);
  });

  it("takes the node's rooms in the node set's slot, then removes its members room by room", async () => {
    const { client, runs } = recordingClient((named) =>
      named[0] === keys.nodes ? ['r1', 'r2'] : named[0] === keys.presence('r1') ? ['c1', 7] : [],
    );
    const removed = await forgetNodeInCluster(client, keys, 'dead', 'dead', 1000);
    expect(removed).toEqual([{ room: 'r1', connectionId: 'c1', version: 7 }]);
    expect(runs).toEqual([
      [keys.nodes, keys.presenceRooms('dead'), keys.node('dead')],
      [keys.presence('r1'), keys.presenceVersion('r1')],
      [keys.presence('r2'), keys.presenceVersion('r2')],
    ]);
  });

  it('removes nothing when another node took the rooms first', async () => {
    const { client, runs } = recordingClient(() => []);
    expect(await forgetNodeInCluster(client, keys, 'dead', 'dead', 1000)).toEqual([]);
    expect(runs).toHaveLength(1);
  });
});
