/**
 * raw-ws: the practical limit on Node. A plain `ws` server where a room broadcast frames the
 * message once (header + payload in one contiguous Buffer, unmasked, as a server must send) and
 * writes those same bytes to every member's underlying TCP socket, skipping `ws`'s per-send
 * framing, UTF-8 encoding and cork/uncork. Writing under `ws` is safe here because the server
 * never uses permessage-deflate, so `ws` has no send queue of its own that we could overtake.
 *
 * By default (the `raw-ws` target, the baseline) that is one `write` per message per
 * recipient. With BENCH_RAW_WS_BATCH=1 (the `raw-ws-corked` target) writes are also coalesced
 * per event-loop turn: the first frame for a socket in a turn corks it and a `setImmediate`
 * uncorks every corked socket, so several messages read in one turn cost each recipient one
 * `writev` — the technique ws-rooms itself uses, as a harder reference.
 *
 * `all` (the c100k scenario's trigger) frames the message once and writes it to every connection
 * of the server, the sender included. With BENCH_PING_PERIOD_MS set, heartbeats are on, written
 * the way `ws`'s README shows them: every period, one pass over `wss.clients` terminates those
 * that did not answer the previous ping and pings the others.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { IRIS_PREFIX, serveControl } from './control';

const BATCH = process.env.BENCH_RAW_WS_BATCH === '1';
const NAME = BATCH ? 'raw-ws-corked' : 'raw-ws';
const EVENT_AT = IRIS_PREFIX.length;
const C = 'c'.charCodeAt(0); // iris-websocket-message:chat;...
const E = 'e'.charCodeAt(0); // iris-websocket-message:echo;...
const A = 'a'.charCodeAt(0); // iris-websocket-message:all;...
const PING_PERIOD_MS = Number(process.env.BENCH_PING_PERIOD_MS) || 0;
/** Large enough that the kernel's cap (net.core.somaxconn) is the one that applies. */
const LISTEN_BACKLOG = 65535;

/** Frames `payload` as one unmasked, final text frame (RFC 6455 section 5.2). */
function textFrame(payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + len);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (len < 126) {
    frame[1] = len;
  } else if (len < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    frame.writeUInt32BE(len >>> 0, 6);
  }
  payload.copy(frame, head);
  return frame;
}

let corked: Socket[] = [];
let spare: Socket[] = [];
let flushPending = false;

function flush(): void {
  flushPending = false;
  const list = corked;
  corked = spare;
  for (const socket of list) socket.uncork();
  list.length = 0;
  spare = list;
}

function writeFrame(socket: Socket, frame: Buffer): void {
  if (!socket.writable) return;
  if (BATCH && socket.writableCorked === 0) {
    socket.cork();
    corked.push(socket);
    if (!flushPending) {
      flushPending = true;
      setImmediate(flush);
    }
  }
  socket.write(frame);
}

function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 1 << 20 });
const room1 = new Set<Socket>();
const unanswered = new WeakSet<WebSocket>();

if (PING_PERIOD_MS > 0) {
  setInterval(() => {
    for (const ws of wss.clients) {
      if (unanswered.has(ws)) {
        ws.terminate();
        continue;
      }
      unanswered.add(ws);
      ws.ping();
    }
  }, PING_PERIOD_MS).unref();
}

wss.on('connection', (ws) => {
  const socket = socketOf(ws);
  room1.add(socket);
  if (PING_PERIOD_MS > 0) ws.on('pong', () => unanswered.delete(ws));
  ws.on('error', () => ws.terminate());
  ws.on('close', () => room1.delete(socket));
  ws.on('message', (data) => {
    const msg = data as Buffer;
    const kind = msg[EVENT_AT];
    if (kind === C) {
      const frame = textFrame(msg);
      for (const member of room1) writeFrame(member, frame);
    } else if (kind === E) {
      writeFrame(socket, textFrame(msg));
    } else if (kind === A) {
      const frame = textFrame(msg);
      for (const client of wss.clients) writeFrame(socketOf(client), frame);
    }
  });
});

server.listen(0, '127.0.0.1', LISTEN_BACKLOG, () => serveControl(server, NAME));
