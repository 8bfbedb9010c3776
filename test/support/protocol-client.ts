import WebSocket from 'ws';

/** One message a {@link ProtocolClient} received. */
export interface ReceivedMessage {
  readonly raw: Buffer;
  readonly isBinary: boolean;
  /** Present for event messages. */
  readonly event?: string;
  readonly type?: number;
  /** The payload text (bytes as latin1 for type 3). */
  readonly payload?: string;
}

const PREFIX = 'iris-websocket-message:';

/**
 * A test client that speaks the Iris protocol by hand over a real `ws` socket, so that e2e tests
 * check the exact bytes the server sends. Every wait is bounded.
 */
export class ProtocolClient {
  readonly received: ReceivedMessage[] = [];
  private waiters: {
    match: (m: ReceivedMessage) => boolean;
    resolve: (m: ReceivedMessage) => void;
  }[] = [];
  private readonly closed: Promise<{ code: number; reason: string }>;
  private readonly consumed = new Set<ReceivedMessage>();

  private constructor(
    readonly ws: WebSocket,
    readonly prefix: string,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens a connection and waits for it to be open (or rejects with the handshake failure). */
  static async connect(
    url: string,
    options: WebSocket.ClientOptions & { prefix?: string } = {},
    timeoutMs = 5000,
  ): Promise<ProtocolClient> {
    const ws = new WebSocket(url, options);
    const client = new ProtocolClient(ws, options.prefix ?? PREFIX);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      }),
      timeoutMs,
      `connect ${url}`,
    );
    return client;
  }

  /** Sends `emit(event, value)` with an explicit type digit and payload text. */
  send(event: string, type: number, payload: string | Buffer): void {
    const head = Buffer.from(`${this.prefix}${event};${type};`);
    // Raw bytes may not be UTF-8, so they travel in a binary frame (the opcode does not change the meaning).
    const binary = Buffer.isBuffer(payload);
    this.ws.send(Buffer.concat([head, binary ? payload : Buffer.from(payload)]), { binary });
  }

  /** Sends a string event (type 0). */
  emit(event: string, text: string): void {
    this.send(event, 0, text);
  }

  /** Sends raw data as one message. */
  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Waits for the oldest matching message not yet returned by `next` (each message is returned once). */
  next(
    match: (m: ReceivedMessage) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<ReceivedMessage> {
    const found = this.received.find((m) => !this.consumed.has(m) && match(m));
    if (found !== undefined) {
      this.consumed.add(found);
      return Promise.resolve(found);
    }
    return withTimeout(
      new Promise<ReceivedMessage>((resolve) => this.waiters.push({ match, resolve })),
      timeoutMs,
      'waiting for a message',
    );
  }

  /** Waits for the next event message with this name. */
  nextEvent(event: string, timeoutMs = 3000): Promise<ReceivedMessage> {
    return this.next((m) => m.event === event, timeoutMs);
  }

  /** Every event message received so far with this name. */
  eventsNamed(event: string): ReceivedMessage[] {
    return this.received.filter((m) => m.event === event);
  }

  /** Resolves with the close code and reason. */
  waitClose(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return withTimeout(this.closed, timeoutMs, 'waiting for close');
  }

  /** Closes and waits until closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.waitClose();
  }

  private onMessage(raw: Buffer, isBinary: boolean): void {
    const message = parse(raw, isBinary, this.prefix);
    this.received.push(message);
    const index = this.waiters.findIndex((w) => w.match(message));
    if (index !== -1) {
      const [waiter] = this.waiters.splice(index, 1);
      this.consumed.add(message);
      waiter.resolve(message);
    }
  }
}

function parse(raw: Buffer, isBinary: boolean, prefix: string): ReceivedMessage {
  const text = raw.toString('latin1');
  if (!text.startsWith(prefix)) return { raw, isBinary };
  const rest = raw.subarray(Buffer.byteLength(prefix));
  const semicolon = rest.indexOf(0x3b);
  const event = rest.subarray(0, semicolon).toString('utf8');
  const type = rest[semicolon + 1] - 0x30;
  const payloadBytes = rest.subarray(semicolon + 3);
  return {
    raw,
    isBinary,
    event,
    type,
    payload: type === 3 ? payloadBytes.toString('latin1') : payloadBytes.toString('utf8'),
  };
}

/** Rejects when `promise` does not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Resolves when `condition` becomes true, polling on the event loop; bounded by `timeoutMs`. */
export async function eventually(
  condition: () => boolean,
  timeoutMs = 3000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
