import type { Writable } from 'node:stream';
import WebSocket from 'ws';
import { frameMessage } from './frame';

/**
 * `ws`'s own frame parser (`ws/lib/receiver`, re-exported as `WebSocket.Receiver` because the
 * package's exports map hides the file): if it accepts our bytes, any conforming client does.
 */
type ReceiverConstructor = new (options?: { isServer?: boolean; maxPayload?: number }) => Writable;
const Receiver = (WebSocket as unknown as { Receiver: ReceiverConstructor }).Receiver;

interface ReceivedMessage {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/**
 * Feeds `chunks` to a client-side `ws` Receiver and resolves with the first `count` messages it
 * parses; rejects on a parse error or after `timeoutMs`.
 */
function parseWithWs(
  chunks: readonly Buffer[],
  count: number,
  timeoutMs = 2000,
): Promise<ReceivedMessage[]> {
  const receiver = new Receiver({ isServer: false });
  const messages: ReceivedMessage[] = [];
  return new Promise<ReceivedMessage[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ws parsed ${messages.length} of ${count} messages`)),
      timeoutMs,
    );
    receiver.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      messages.push({ data: Buffer.from(data), isBinary });
      if (messages.length === count) {
        clearTimeout(timer);
        resolve(messages);
      }
    });
    for (const chunk of chunks) receiver.write(chunk);
  });
}

/** A deterministic payload of `length` ASCII letters (valid UTF-8 for text frames). */
function textPayload(length: number): Buffer {
  const payload = Buffer.alloc(length);
  for (let i = 0; i < length; i++) payload[i] = 0x61 + (i % 26);
  return payload;
}

/** A deterministic payload of `length` bytes covering every byte value. */
function binaryPayload(length: number): Buffer {
  const payload = Buffer.alloc(length);
  for (let i = 0; i < length; i++) payload[i] = (i * 31 + 7) & 0xff;
  return payload;
}

describe('frameMessage', () => {
  describe('header bytes by payload length', () => {
    it.each([
      [0, [0x81, 0x00]],
      [125, [0x81, 125]],
      [126, [0x81, 126, 0x00, 126]],
      [65535, [0x81, 126, 0xff, 0xff]],
      [65536, [0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]],
      [70000, [0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]],
    ])('length %i: header %j, then the payload', (length, header) => {
      const payload = textPayload(length);
      const frame = frameMessage(payload, false);
      expect([...frame.subarray(0, header.length)]).toEqual(header);
      expect(frame.length).toBe(header.length + length);
      expect(frame.subarray(header.length).equals(payload)).toBe(true);
    });
  });

  it('sets FIN and the text opcode (0x1) for text', () => {
    expect(frameMessage(Buffer.from('hi'), false)[0]).toBe(0x80 | 0x01);
  });

  it('sets FIN and the binary opcode (0x2) for binary', () => {
    expect(frameMessage(Buffer.from('hi'), true)[0]).toBe(0x80 | 0x02);
  });

  it('never sets the mask bit (server-to-client frames are unmasked)', () => {
    for (const length of [0, 125, 126, 70000]) {
      expect(frameMessage(Buffer.alloc(length), true)[1] & 0x80).toBe(0);
    }
  });

  it('accepts a plain Uint8Array and copies only its own bytes', () => {
    const backing = Uint8Array.from([9, 1, 2, 3, 9]);
    expect([...frameMessage(backing.subarray(1, 4), true)]).toEqual([0x82, 3, 1, 2, 3]);
  });

  describe("round trip through ws's Receiver", () => {
    it.each([0, 125, 126, 65535, 65536, 70000])(
      'a text frame of %i bytes is one text message with the same bytes',
      async (length) => {
        const payload = textPayload(length);
        const [message] = await parseWithWs([frameMessage(payload, false)], 1);
        expect(message.isBinary).toBe(false);
        expect(message.data.equals(payload)).toBe(true);
      },
    );

    it.each([0, 125, 126, 65535, 65536, 70000])(
      'a binary frame of %i bytes is one binary message with the same bytes',
      async (length) => {
        const payload = binaryPayload(length);
        const [message] = await parseWithWs([frameMessage(payload, true)], 1);
        expect(message.isBinary).toBe(true);
        expect(message.data.equals(payload)).toBe(true);
      },
    );

    it('frames written back to back and cut at arbitrary points parse as the same messages, in order', async () => {
      const payloads = [
        textPayload(3),
        binaryPayload(200),
        textPayload(0),
        binaryPayload(66000),
        Buffer.from('héllo ☃', 'utf8'),
      ];
      const stream = Buffer.concat(
        payloads.map((payload, i) => frameMessage(payload, i % 2 === 1)),
      );
      const chunks: Buffer[] = [];
      // Cut points that fall inside headers, extended lengths and payloads.
      const cuts = [1, 3, 4, 7, 150, 211, 213, 215, 30000, stream.length - 2, stream.length];
      let start = 0;
      for (const end of cuts) {
        chunks.push(stream.subarray(start, end));
        start = end;
      }
      const messages = await parseWithWs(chunks, payloads.length);
      expect(messages.map((message) => message.isBinary)).toEqual([
        false,
        true,
        false,
        true,
        false,
      ]);
      messages.forEach((message, i) => expect(message.data.equals(payloads[i])).toBe(true));
    });
  });
});
