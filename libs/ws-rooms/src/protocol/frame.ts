const OPCODE_TEXT = 0x01;
const OPCODE_BINARY = 0x02;
const FIN = 0x80;

/**
 * Wraps a message in one unmasked server-to-client websocket frame (RFC 6455 section 5.2), header and
 * payload in a single buffer. A broadcast is framed once and the same bytes are written to every
 * recipient's socket, which is what makes fan-out cheap.
 */
export function frameMessage(payload: Uint8Array, binary: boolean): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN | (binary ? OPCODE_BINARY : OPCODE_TEXT);
  if (length < 126) {
    frame[1] = length;
  } else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.set(payload, headerLength);
  return frame;
}
