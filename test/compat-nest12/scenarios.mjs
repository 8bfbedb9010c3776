// The scenarios both apps must pass on NestJS 12. Each test file runs in its own process
// (node --test), so the ESM app and the CommonJS app never share a module cache.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { IrisClient, withTimeout } from './support/iris-client.mjs';

/**
 * @param {string} name the app's name in the report
 * @param {{ startApp: () => Promise<object>, events: string[] }} fixture the app under test
 * @param {{ WsRoomsClient: Function, resolved: string, expectedEntry: RegExp }} client
 *   `ws-rooms/client` as this app loads it, and the file that specifier resolved to
 * @param {string} libraryEntry the file `ws-rooms` resolved to for this app
 */
export function defineScenarios(name, fixture, client, libraryEntry) {
  describe(`${name} on NestJS 12`, () => {
    let running;
    const clients = [];

    async function connect() {
      const connection = await IrisClient.connect(running.wsUrl);
      clients.push(connection);
      const welcome = await connection.nextEvent('welcome');
      return { client: connection, id: welcome.payload };
    }

    before(async () => {
      running = await fixture.startApp();
    });

    after(async () => {
      await Promise.all(clients.map((connection) => connection.close()));
      await running?.close();
    });

    it("runs the installed tarball, which loads NestJS 12 (not the monorepo's NestJS 11)", () => {
      assert.match(
        libraryEntry,
        /[/\\]compat-nest12[/\\]node_modules[/\\]ws-rooms[/\\]dist[/\\]index\.js$/,
      );
      const requireFromLibrary = createRequire(libraryEntry);
      for (const nestPackage of ['@nestjs/common', '@nestjs/core', '@nestjs/websockets']) {
        const entry = requireFromLibrary.resolve(nestPackage);
        const { version } = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8'));
        assert.match(version, /^12\./, `${nestPackage} ${version} at ${entry}`);
      }
    });

    it('accepts a connection and runs the gateway connection hook', async () => {
      const { id } = await connect();
      assert.match(id, /^[A-Za-z0-9_-]{22}$/);
      assert.ok(fixture.events.includes(`connect:${id}`));
    });

    it('binds @OnEvent with @ConnectedSocket() and @MessageBody(), and sends the return value back', async () => {
      const { client: socket } = await connect();
      socket.emit('echo', 0, 'hello');
      assert.deepEqual(await socket.nextEvent('echo'), {
        event: 'echo',
        type: 0,
        payload: '22:hello',
      });
      socket.emit('increment', 0, '41');
      assert.deepEqual(await socket.nextEvent('increment'), {
        event: 'increment',
        type: 1,
        payload: '42',
      });
    });

    it('broadcasts with to(room) to every member of the room', async () => {
      const a = await connect();
      const b = await connect();
      const outsider = await connect();
      for (const member of [a, b]) {
        member.client.emit('join', 0, 'lobby');
        assert.equal((await member.client.nextEvent('join')).payload, 'lobby');
      }
      a.client.emit('say', 4, JSON.stringify({ room: 'lobby', text: 'hi all' }));
      assert.equal((await a.client.nextEvent('said')).payload, 'hi all');
      assert.equal((await b.client.nextEvent('said')).payload, 'hi all');
      // A reply to the outsider is written after the broadcast was: had the broadcast reached the
      // outsider, it would have arrived before this reply.
      outsider.client.emit('echo', 0, 'marker');
      await outsider.client.nextEvent('echo');
      assert.equal(outsider.client.unread('said'), 0);
    });

    it('broadcasts from an HTTP controller through RoomsService', async () => {
      const a = await connect();
      a.client.emit('join', 0, 'news');
      await a.client.nextEvent('join');
      const response = await fetch(`${running.httpUrl}/rooms/announce?room=news&text=extra`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { members: 1 });
      assert.equal((await a.client.nextEvent('announcement')).payload, 'extra');
    });

    it('answers a refusing guard with a ws-rooms:error event (WS_ROOMS_FORBIDDEN)', async () => {
      const { client: socket } = await connect();
      socket.emit('guarded', 4, '{}');
      assert.deepEqual(await socket.nextError(), {
        code: 'WS_ROOMS_FORBIDDEN',
        message: 'Forbidden resource',
        event: 'guarded',
        status: 403,
      });
      socket.emit('guarded', 4, '{"token":"letmein"}');
      assert.equal((await socket.nextEvent('guarded')).payload, 'let in');
    });

    it('hands a thrown WsException to the gateway exception filter', async () => {
      const { client: socket } = await connect();
      socket.emit('refused', 0, '');
      assert.deepEqual(JSON.parse((await socket.nextEvent('filtered')).payload), {
        error: { reason: 'nope' },
        pattern: 'refused',
        type: 'ws',
      });
    });

    it('applies a global guard (APP_GUARD) to ws-rooms handlers', async () => {
      const { client: socket } = await connect();
      socket.emit('globally-forbidden', 0, '');
      assert.equal((await socket.nextError()).code, 'WS_ROOMS_FORBIDDEN');
    });

    it("binds Nest's @SubscribeMessage and @WebSocketServer() on a @WsRoomsGateway, and @MessageIsBinary()", async () => {
      const { client: socket } = await connect();
      socket.emit('shout', 0, 'hi');
      assert.equal((await socket.nextEvent('shout')).payload, 'default:/ws:HI');
      socket.sendRaw('a text frame');
      assert.equal((await socket.nextEvent('native-kind')).payload, 'text');
      socket.sendRaw(Buffer.from([1, 2, 255]));
      assert.equal((await socket.nextEvent('native-kind')).payload, 'binary');
    });

    it('answers malformed input with an error event and keeps the connection', async () => {
      const { client: socket } = await connect();
      socket.sendRaw('iris-websocket-message:echo');
      assert.equal((await socket.nextError()).code, 'WS_ROOMS_MALFORMED_MESSAGE');
      socket.emit('increment', 0, 'not a number');
      assert.equal((await socket.nextError()).code, 'WS_ROOMS_PAYLOAD_CONVERSION');
      socket.emit('echo', 0, 'still here');
      assert.equal((await socket.nextEvent('echo')).payload, '22:still here');
    });

    it('serves the packaged browser script at /iris-ws.js', async () => {
      const response = await fetch(`${running.httpUrl}/iris-ws.js`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^application\/javascript/);
      assert.match(await response.text(), /^\/\*! ws-rooms /);
    });

    it('talks to the packaged ws-rooms/client entry', async () => {
      assert.match(client.resolved, client.expectedEntry);
      const modern = new client.WsRoomsClient(running.wsUrl, { WebSocket, reconnect: false });
      try {
        const reply = new Promise((resolve) => modern.on('echo', resolve));
        modern.emit('echo', 'from the client');
        assert.equal(await withTimeout(reply, 3000, 'echo reply'), '22:from the client');
      } finally {
        modern.close();
      }
    });

    it('app.close() closes every connection with 1001 and runs the disconnect hooks before it resolves', async () => {
      const own = await fixture.startApp();
      const sockets = await Promise.all([1, 2].map(() => IrisClient.connect(own.wsUrl)));
      const ids = await Promise.all(
        sockets.map(async (socket) => (await socket.nextEvent('welcome')).payload),
      );
      await own.close();
      for (const socket of sockets) {
        assert.deepEqual(await socket.waitClose(), { code: 1001, reason: 'server shutting down' });
      }
      for (const id of ids) assert.ok(fixture.events.includes(`disconnect:${id}:1001`));
    });
  });
}
