/**
 * raw-ws-naive: plain `ws` the way most code uses it: a room broadcast loops over the members
 * and calls `send(string)` on each, so every recipient pays for its own UTF-8 encoding and
 * framing.
 */
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { IRIS_PREFIX, serveControl } from './control';

const CHAT = `${IRIS_PREFIX}chat;`;
const ECHO = `${IRIS_PREFIX}echo;`;

const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 1 << 20 });

wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  ws.on('message', (data) => {
    const text = String(data);
    if (text.startsWith(CHAT)) {
      for (const client of wss.clients) {
        if (client.readyState === WebSocket.OPEN) client.send(text);
      }
    } else if (text.startsWith(ECHO)) {
      ws.send(text);
    }
  });
});

server.listen(0, '127.0.0.1', () => serveControl(server, 'raw-ws-naive'));
