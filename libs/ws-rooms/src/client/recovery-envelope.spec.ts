import { unwrapMessage } from './recovery-envelope';

const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const chunks = parts.map((part) =>
    typeof part === 'string' ? new TextEncoder().encode(part) : Uint8Array.from(part),
  );
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
};

describe('unwrapMessage', () => {
  it('cuts a text payload at the first ";", keeping the rest unchanged', () => {
    expect(unwrapMessage('42;iris-websocket-message:said;0;a;b')).toEqual({
      offset: 42,
      message: 'iris-websocket-message:said;0;a;b',
    });
  });

  it('cuts a binary payload at byte level, without decoding the inner bytes', () => {
    const payload = bytes('7;', 'iris-websocket-message:blob;3;', [0xff, 0x3b, 0x00, 0xc3]);
    const wrapped = unwrapMessage(payload);
    expect(wrapped?.offset).toBe(7);
    expect(wrapped?.message).toEqual(
      bytes('iris-websocket-message:blob;3;', [0xff, 0x3b, 0x00, 0xc3]),
    );
    // A view into the frame, not a copy.
    expect((wrapped?.message as Uint8Array).buffer).toBe(payload.buffer);
  });

  it('reads the largest safe offsets and an empty inner message', () => {
    expect(unwrapMessage(`${Number.MAX_SAFE_INTEGER};x`)?.offset).toBe(Number.MAX_SAFE_INTEGER);
    expect(unwrapMessage('1;')).toEqual({ offset: 1, message: '' });
    expect(unwrapMessage(bytes('1;'))?.message).toEqual(new Uint8Array(0));
  });

  it.each([
    ['no separator', '12'],
    ['an empty offset', ';x'],
    ['offset 0', '0;x'],
    ['a sign', '+1;x'],
    ['a letter', '1a;x'],
    ['a fraction', '1.5;x'],
    ['an unsafe integer', '9007199254740993;x'],
    ['too many digits', '00000000000000001;x'],
  ])('refuses %s', (_, text) => {
    expect(unwrapMessage(text)).toBeUndefined();
    expect(unwrapMessage(bytes(text))).toBeUndefined();
  });
});
