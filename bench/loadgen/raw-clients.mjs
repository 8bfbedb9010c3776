/**
 * Cheap websocket clients for holding very many connections from one process (the c100k scenario):
 * a plain `net.Socket` per connection, the HTTP upgrade written by hand, and a minimal RFC 6455
 * frame reader. No `ws` or socket.io-client objects, timers or event emitters per connection: a
 * client costs its socket, one closure and a small record, so a few generator processes hold
 * 100,000 connections without being the bottleneck.
 *
 * Two dialects:
 *  - `ws`: a websocket on `path`; answers pings (opcode 9) with pongs; every text frame is a
 *    broadcast to record;
 *  - `socket.io`: engine.io v4 over a websocket (`/socket.io/?EIO=4&transport=websocket`): waits
 *    for the open packet (`0{...}`), connects to the main namespace (`40`), is open once the server
 *    acknowledges it (`40{...}`); answers engine.io pings (`2`) with pongs (`3`); every event
 *    packet (`42[...]`) is a broadcast to record.
 *
 * Each connection binds its own loopback source address (`localAddress`, from `sources`, round
 * robin), so the ~28k ephemeral ports of one (source, destination) pair do not cap the count.
 * Client frames are masked, as RFC 6455 requires, with a zero masking key: the payload bytes are
 * then sent as they are (a benchmark client, not a browser; servers do not check the key's value).
 */
import net from 'node:net';
import { nowUs } from '../lib/clock.mjs';

const UPGRADE_TIMEOUT_MS = 20_000;
const READ_BUFFER = Buffer.alloc(64 * 1024);
const HEADER_END = '\r\n\r\n';
// Any 16 bytes in base64: the server answers with its hash, which we do not need to check.
const KEY = Buffer.from('ws-rooms c100k!!').toString('base64');

/** One masked (zero key) frame from the client: FIN + `opcode`, `payload` a Buffer. */
export function clientFrame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? 6 : len < 65536 ? 8 : 14;
  const frame = Buffer.alloc(head + len); // zeroed: the masking key is 0,0,0,0
  frame[0] = 0x80 | opcode;
  if (len < 126) {
    frame[1] = 0x80 | len;
  } else if (len < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    frame.writeUInt32BE(len >>> 0, 6);
  }
  payload.copy(frame, head);
  return frame;
}

const EMPTY_PONG = clientFrame(0xa, Buffer.alloc(0));
const EIO_PONG = clientFrame(0x1, Buffer.from('3'));
const EIO_CONNECT = clientFrame(0x1, Buffer.from('40'));
const ASCII_0 = 0x30;
const ASCII_2 = 0x32;
const ASCII_4 = 0x34;

/**
 * The clients of one generator process. `onBroadcast(client, buf, start, len)` is called for every
 * application message once a connection is open (a text or binary frame for `ws`, an event
 * packet for socket.io), with the frame's payload at `buf[start .. start + len)`.
 */
export class RawClients {
  constructor({ kind, host, port, path, sources, onBroadcast }) {
    if (kind !== 'ws' && kind !== 'socket.io') throw new Error(`unknown client kind ${kind}`);
    this.kind = kind;
    this.host = host;
    this.port = port;
    this.sources = sources;
    this.onBroadcast = onBroadcast;
    const target = kind === 'ws' ? path : '/socket.io/?EIO=4&transport=websocket';
    this.request =
      `GET ${target} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    this.clients = [];
    this.pings = 0;
    this.open = 0;
    /** Connections the server closed or reset after they opened, with the last reason. */
    this.closed = 0;
    this.closeReason = '';
  }

  /** Opens one connection; resolves with its record once open (socket.io: namespace joined). */
  connectOne(index) {
    return new Promise((resolve, reject) => {
      const localAddress = this.sources[index % this.sources.length];
      let header = '';
      let upgraded = false;
      // Reads land in one buffer shared by every socket of the process and are consumed at once
      // (Node's `onread`): no Buffer per read and no stream machinery, which halves what a
      // generator pays per received frame.
      const socket = net.connect({
        host: this.host,
        port: this.port,
        localAddress,
        onread: {
          buffer: READ_BUFFER,
          callback: (nread, buf) => {
            const chunk = buf.subarray(0, nread);
            if (upgraded) this.#onData(client, chunk, opened);
            else onHandshake(chunk);
          },
        },
      });
      socket.setNoDelay(true);
      const client = { index, socket, isOpen: false, rest: null };
      let settled = false;
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new Error(`no upgrade within ${UPGRADE_TIMEOUT_MS} ms (${localAddress})`)),
        UPGRADE_TIMEOUT_MS,
      );
      const opened = () => {
        settled = true;
        clearTimeout(timer);
        client.isOpen = true;
        this.open++;
        resolve(client);
      };
      socket.once('connect', () => socket.write(this.request));
      socket.on('error', (err) => {
        if (!settled) fail(err);
      });
      socket.on('close', () => {
        if (!settled) {
          fail(
            new Error(`closed during the handshake (${header.split('\r\n')[0] || 'no answer'})`),
          );
          return;
        }
        if (client.isOpen) {
          client.isOpen = false;
          this.open--;
          if (!this.resetting) {
            this.closed++;
            this.closeReason ||= client.closeCode ? `close ${client.closeCode}` : 'socket closed';
          }
        }
      });
      // Handshake: read up to the end of the response header, then frames.
      const onHandshake = (chunk) => {
        header += chunk.toString('latin1');
        const end = header.indexOf(HEADER_END);
        if (end === -1) {
          if (header.length > 8192) fail(new Error('upgrade response header too long'));
          return;
        }
        if (!header.startsWith('HTTP/1.1 101')) {
          fail(new Error(`upgrade refused: ${header.split('\r\n')[0]}`));
          return;
        }
        upgraded = true;
        if (this.kind === 'ws') opened();
        const tail = Buffer.from(header.slice(end + HEADER_END.length), 'latin1');
        header = '';
        if (tail.length) this.#onData(client, tail, opened);
      };
    });
  }

  /**
   * Opens `count` connections with at most `concurrency` handshakes in flight. Resolves with the
   * number opened, the number failed and the first error.
   */
  async connectMany(count, concurrency) {
    let next = 0;
    let failed = 0;
    let firstError = '';
    const lane = async () => {
      while (next < count) {
        const i = next++;
        try {
          this.clients.push(await this.connectOne(i));
        } catch (err) {
          failed++;
          firstError ||= String(err?.message ?? err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
    return { opened: this.clients.length, failed, firstError };
  }

  /** Sends one application message (`ws`: a text frame; socket.io: an event packet). */
  send(client, event, text) {
    const payload = this.kind === 'ws' ? text : `42${JSON.stringify([event, text])}`;
    client.socket.write(clientFrame(0x1, Buffer.from(payload)));
  }

  /** Resets every connection (RST: no TIME_WAIT left on either side) and forgets them. */
  resetAll() {
    this.resetting = true;
    for (const c of this.clients) {
      if (typeof c.socket.resetAndDestroy === 'function') c.socket.resetAndDestroy();
      else c.socket.destroy();
    }
    const n = this.clients.length;
    this.clients = [];
    return n;
  }

  #onData(client, data, opened) {
    let buf = data;
    if (client.rest) {
      buf = Buffer.concat([client.rest, data]);
      client.rest = null;
    }
    let i = 0;
    const end = buf.length;
    while (i + 2 <= end) {
      const b0 = buf[i];
      let len = buf[i + 1] & 0x7f;
      let start = i + 2;
      if (len === 126) {
        if (i + 4 > end) break;
        len = buf.readUInt16BE(i + 2);
        start = i + 4;
      } else if (len === 127) {
        if (i + 10 > end) break;
        len = buf.readUInt32BE(i + 2) * 2 ** 32 + buf.readUInt32BE(i + 6);
        start = i + 10;
      }
      if (start + len > end) break;
      this.#onFrame(client, b0 & 0x0f, buf, start, len, opened);
      i = start + len;
    }
    // A partial frame waits for the rest (copied: the read buffer is reused by the next read).
    if (i < end) client.rest = Buffer.from(buf.subarray(i));
  }

  #onFrame(client, opcode, buf, start, len, opened) {
    if (opcode === 0x9) {
      this.pings++;
      client.socket.write(
        len === 0 ? EMPTY_PONG : clientFrame(0xa, buf.subarray(start, start + len)),
      );
      return;
    }
    if (opcode === 0x8) {
      client.closeCode = len >= 2 ? buf.readUInt16BE(start) : 1005;
      return;
    }
    if (opcode === 0xa) return;
    if (this.kind === 'ws') {
      this.onBroadcast(client, buf, start, len);
      return;
    }
    // engine.io packets: 0 open, 2 ping, 4x socket.io packets (40 connect, 42 event).
    const type = buf[start];
    if (type === ASCII_2 && len === 1) {
      this.pings++;
      client.socket.write(EIO_PONG);
    } else if (type === ASCII_4 && buf[start + 1] === ASCII_2) {
      this.onBroadcast(client, buf, start, len);
    } else if (type === ASCII_4 && buf[start + 1] === ASCII_0 && !client.isOpen) {
      opened();
    } else if (type === ASCII_0 && !client.isOpen) {
      client.socket.write(EIO_CONNECT);
    }
  }
}

/** Broadcast receipts of one generator process: when each connection got broadcast `seq`. */
export class Receipts {
  constructor() {
    this.seq = -1;
    this.at = new Float64Array(0);
    this.got = 0;
    this.expected = 0;
    this.doneUs = 0;
    this.waiter = null;
  }

  /** `expected` clients (the open ones) numbered below `size` (every client number). */
  expect(seq, expected, size) {
    this.seq = seq;
    this.expected = expected;
    if (this.at.length < size) this.at = new Float64Array(size);
    else this.at.fill(0);
    this.got = 0;
    this.doneUs = 0;
  }

  /** Records the first receipt of the current broadcast by client number `index`. */
  record(index, seq) {
    if (seq !== this.seq || this.at[index] !== 0) return;
    this.at[index] = nowUs();
    if (++this.got === this.expected) {
      this.doneUs = this.at[index];
      this.waiter?.();
    }
  }

  /** Resolves once every connection got it, or after `timeoutMs`. */
  wait(timeoutMs) {
    if (this.got === this.expected) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve();
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
    });
  }

  /** Receipt times of the current broadcast, in µs since `fromUs` (clients that got it). */
  delays(fromUs) {
    const out = [];
    for (let i = 0; i < this.at.length; i++) if (this.at[i] > 0) out.push(this.at[i] - fromUs);
    return out;
  }
}
