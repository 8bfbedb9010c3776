/**
 * Client connections of the load generator, behind one small shape so scenarios do not care
 * which client library a target needs:
 *   `{ send(event, text), close(), isOpen() }`, with every received message passed to `onMessage(data)`
 *   (a Buffer from `ws`, a string from socket.io).
 */
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { withTimeout } from '../lib/clock.mjs';

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * Connections of this process that the server closed after they opened (we never close one
 * ourselves during a case), with the last reason: a target that drops clients must not pass
 * for a fast one.
 */
export const serverCloses = { count: 0, reason: '' };

function closedByServer(reason) {
  serverCloses.count++;
  serverCloses.reason = String(reason);
}

function connectWs(url, onMessage) {
  // The generator skips UTF-8 validation of what it receives: it reads only ASCII digits, and
  // the CPU it saves goes to the server under test on a small machine.
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed before open (${code})`)));
  });
  ws.on('message', onMessage);
  ws.on('error', () => {});
  ws.once('open', () =>
    ws.once('close', (code, reason) => closedByServer(`close ${code} ${reason}`.trim())),
  );
  const client = {
    send: (_event, text) => ws.send(text),
    close: () => ws.terminate(),
    isOpen: () => ws.readyState === WebSocket.OPEN,
  };
  return withTimeout(opened, CONNECT_TIMEOUT_MS, `connect ${url}`)
    .then(() => client)
    .catch((err) => {
      ws.terminate();
      throw err;
    });
}

function connectSocketIo(url, onMessage) {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: CONNECT_TIMEOUT_MS,
  });
  const opened = new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  socket.on('chat', onMessage);
  socket.on('echo', onMessage);
  socket.once('connect', () => socket.once('disconnect', (reason) => closedByServer(reason)));
  const client = {
    send: (event, text) => socket.emit(event, text),
    close: () => socket.disconnect(),
    isOpen: () => socket.connected,
  };
  return withTimeout(opened, CONNECT_TIMEOUT_MS, `connect ${url}`)
    .then(() => client)
    .catch((err) => {
      socket.disconnect();
      throw err;
    });
}

/** Opens one client of `kind` ('ws' or 'socket.io'). */
export function connect(kind, url, onMessage) {
  if (kind === 'ws') return connectWs(url, onMessage);
  if (kind === 'socket.io') return connectSocketIo(url, onMessage);
  return Promise.reject(new Error(`unknown client kind ${kind}`));
}

/**
 * Opens `count` clients with at most `concurrency` handshakes in flight, `make(i)` creating
 * client i. Resolves with the clients that opened and the number that failed.
 */
export async function connectMany(count, concurrency, make) {
  const clients = [];
  let next = 0;
  let failed = 0;
  let firstError;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      try {
        clients.push(await make(i));
      } catch (err) {
        failed++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return {
    clients,
    failed,
    firstError: firstError ? String(firstError.message ?? firstError) : '',
  };
}
