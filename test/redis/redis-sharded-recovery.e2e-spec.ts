/**
 * Recovery on a Redis Cluster: the log, its counter, its channel and the sessions share the slot
 * `{log}`, so the scripts run as on one Redis. A client resumes on another node than the one it
 * lost, with every missed room message once and in order, whichever node sent it.
 */
import WebSocket from 'ws';
import { ConnectionsService, RedisRoomStore } from 'ws-rooms';
import { WsRoomsClient } from 'ws-rooms/client';
import { keySlot } from '../../libs/ws-rooms/src/store/redis/cluster-slot';
import { RedisKeys } from '../../libs/ws-rooms/src/store/redis/redis-keys';
import { collect, nextRecovery, WAIT_MS } from '../support/modern-client-waits';
import { eventually, ProtocolClient } from '../support/protocol-client';
import { type RunningApp, startApp } from '../support/test-app';
import { startSwitchingProxy, type SwitchingProxy } from '../support/switching-proxy';
import { extensionsModule } from './fixtures/extensions-module';
import { type RedisClusterServer, startRedisCluster } from './support/redis-cluster-server';

const PREFIX = 'sharded-recovery';
let redis: RedisClusterServer;
let proxy: SwitchingProxy;
const nodes: RunningApp[] = [];
const stores: RedisRoomStore[] = [];
const clients: WsRoomsClient[] = [];
const senders: ProtocolClient[] = [];

beforeAll(async () => {
  redis = await startRedisCluster();
  for (let i = 0; i < 2; i++) {
    const store = new RedisRoomStore({
      cluster: { nodes: redis.nodes },
      keyPrefix: PREFIX,
      nodeId: `recovery-${i}`,
      heartbeatInterval: 100,
      heartbeatTtl: 600,
      requestTimeout: 1000,
    });
    stores.push(store);
    nodes.push(
      await startApp({ imports: [extensionsModule(store, { windowMs: 10_000, maxMessages: 20 })] }),
    );
  }
  proxy = await startSwitchingProxy(nodes[0].port);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(senders.map((sender) => sender.close()));
  await proxy?.close();
  await Promise.all(nodes.map((node) => node.close()));
  await redis?.stop();
});

async function sender(node: number): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(nodes[node].wsUrl('/ws?name=sender'));
  senders.push(client);
  return client;
}

async function say(from: ProtocolClient, room: string, text: string): Promise<void> {
  from.send('say', 4, JSON.stringify({ room, text }));
  await from.nextEvent('say');
}

it('resumes on another node: same id and rooms, missed messages once and in order', async () => {
  const client = new WsRoomsClient(`ws://127.0.0.1:${proxy.port}/ws?name=alice`, {
    WebSocket,
    recovery: true,
    reconnect: { initialDelay: 200, jitter: false },
  });
  clients.push(client);
  expect((await nextRecovery(client)).status).toBe('fresh');
  const id = client.id!;
  await client.request('join', 'news');
  const said = collect(client, 'said');
  const fromNode0 = await sender(0);
  const fromNode1 = await sender(1);
  await say(fromNode0, 'news', 'm1');
  await say(fromNode1, 'news', 'm2');
  await eventually(() => said.length === 2, WAIT_MS, 'm1 and m2');

  proxy.target = nodes[1].port;
  const recovery = nextRecovery(client);
  const connections = nodes[0].app.get(ConnectionsService);
  (connections.get(id) as unknown as { ws: WebSocket }).ws.terminate();
  await say(fromNode0, 'news', 'm3');
  await say(fromNode1, 'news', 'm4');
  await say(fromNode0, 'elsewhere', 'not for alice');
  await say(fromNode1, 'news', 'm5');

  expect(await recovery).toMatchObject({ status: 'recovered', recovered: true, id });
  expect(nodes[1].app.get(ConnectionsService).has(id)).toBe(true);
  await say(fromNode0, 'news', 'm6');
  await eventually(() => said.length >= 6, WAIT_MS, 'the replay and m6');
  expect(said).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  for (const store of stores) {
    expect(store.stats.logged).toBeGreaterThan(0);
    expect(store.stats.logFailures).toBe(0);
    expect(store.stats.malformedMessages).toBe(0);
  }
});

it("keeps the log, its counter and the sessions on the log's one master", async () => {
  const keys = new RedisKeys(PREFIX, true);
  const home = await redis.masterOf(keySlot(keys.log));
  expect(await redis.cli(home, 'TYPE', keys.log)).toBe('stream\n');
  expect(Number(await redis.cli(home, 'XLEN', keys.log))).toBeGreaterThanOrEqual(6);
  expect(Number(await redis.cli(home, 'GET', keys.logOffset))).toBeGreaterThan(0);
});
