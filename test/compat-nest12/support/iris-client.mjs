// A minimal Iris protocol client over `ws` that checks the exact messages the server sends. Every
// wait is bounded, and completion is signalled by the awaited message itself, never by a sleep.
import WebSocket from 'ws';

const PREFIX = 'iris-websocket-message:';

/** Rejects when `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Reads `iris-websocket-message:<event>;<type>;<payload>`; null for anything else. */
function parseEvent(text) {
  if (!text.startsWith(PREFIX)) return null;
  const rest = text.slice(PREFIX.length);
  const semicolon = rest.indexOf(';');
  return {
    event: rest.slice(0, semicolon),
    type: Number(rest[semicolon + 1]),
    payload: rest.slice(semicolon + 3),
  };
}

export class IrisClient {
  #received = [];
  #waiters = [];

  constructor(ws) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data) => {
      const message = parseEvent(data.toString('utf8'));
      if (message === null) return;
      const index = this.#waiters.findIndex((waiter) => waiter.event === message.event);
      if (index === -1) this.#received.push(message);
      else this.#waiters.splice(index, 1)[0].resolve(message);
    });
  }

  /** Connects and resolves once the socket is open. */
  static async connect(url) {
    const ws = new WebSocket(url);
    const client = new IrisClient(ws);
    await withTimeout(
      new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
      5000,
      `connect ${url}`,
    );
    return client;
  }

  /** Sends an event message with an explicit type digit (0 string, 1 int, 2 bool, 4 JSON). */
  emit(event, type, payload) {
    this.ws.send(`${PREFIX}${event};${type};${payload}`);
  }

  /** Sends a message as it is. */
  sendRaw(text) {
    this.ws.send(text);
  }

  /** The oldest unread event message with this name, or the next one to arrive. */
  nextEvent(event, ms = 3000) {
    const index = this.#received.findIndex((message) => message.event === event);
    if (index !== -1) return Promise.resolve(this.#received.splice(index, 1)[0]);
    return withTimeout(
      new Promise((resolve) => this.#waiters.push({ event, resolve })),
      ms,
      `event "${event}"`,
    );
  }

  /** How many event messages with this name arrived and were not read yet. */
  unread(event) {
    return this.#received.filter((message) => message.event === event).length;
  }

  /** The payload of the next `ws-rooms:error` event, parsed. */
  async nextError() {
    return JSON.parse((await this.nextEvent('ws-rooms:error')).payload);
  }

  /** Resolves with the close code and reason. */
  waitClose(ms = 5000) {
    return withTimeout(this.closed, ms, 'close');
  }

  /** Closes and waits until closed. */
  async close() {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.waitClose();
  }
}
