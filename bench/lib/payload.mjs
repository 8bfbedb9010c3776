/**
 * The benchmark's messages, in the Iris wire format (docs/protocol.md, "Message grammar"):
 * `iris-websocket-message:<event>;0;<body>` where `<body>` is exactly `size` bytes:
 * a 16-digit send timestamp (host-wide microseconds, see clock.mjs), a comma, then filler.
 * Both events used here (`chat`, `echo`) have four letters, so the timestamp always starts at the
 * same offset and receivers can read it without splitting the string.
 */
export const PREFIX = 'iris-websocket-message:';
export const TS_OFFSET = PREFIX.length + 'chat;0;'.length;
export const TS_DIGITS = 16;
export const MIN_SIZE = TS_DIGITS + 1;

/** A message factory for one event and body size. */
export function messageMaker(event, size) {
  if (event.length !== 4) throw new TypeError('event names must have 4 letters');
  if (size < MIN_SIZE) throw new RangeError(`payload size must be >= ${MIN_SIZE}`);
  const head = `${PREFIX}${event};0;`;
  const tail = ',' + 'x'.repeat(size - TS_DIGITS - 1);
  return (tsUs) => head + String(Math.round(tsUs)).padStart(TS_DIGITS, '0') + tail;
}

/**
 * A broadcast to a client that opted in to ws-rooms' recovery comes wrapped:
 * `iris-websocket-message:ws-rooms:m;0;<offset>;<the original message>`.
 */
const WRAPPED = `${PREFIX}ws-rooms:m;0;`;
const SEMICOLON = 0x3b;

/** Where the original message starts: 0, or just past a recovery wrapper's `<offset>;`. */
function messageStart(data) {
  const text = typeof data === 'string';
  if (data.length <= WRAPPED.length) return 0;
  // The wrapper's prefix differs from an event's at its 27th byte ('w' of "ws-rooms:m").
  const probe = text ? data.charCodeAt(PREFIX.length) : data[PREFIX.length];
  if (probe !== 0x77) return 0;
  const end = text ? data.indexOf(';', WRAPPED.length) : data.indexOf(SEMICOLON, WRAPPED.length);
  return end === -1 ? 0 : end + 1;
}

/**
 * Reads the send timestamp of a received message (a Buffer from `ws` or a string from
 * socket.io), wrapped for recovery or not. Returns 0 for the sync messages and -1 for anything
 * that is not ours.
 */
export function readTimestamp(data) {
  let v = 0;
  const from = messageStart(data) + TS_OFFSET;
  if (data.length < from + TS_DIGITS) return -1;
  if (typeof data === 'string') {
    for (let i = from; i < from + TS_DIGITS; i++) v = v * 10 + data.charCodeAt(i) - 48;
  } else {
    for (let i = from; i < from + TS_DIGITS; i++) v = v * 10 + data[i] - 48;
  }
  return Number.isFinite(v) && v >= 0 ? v : -1;
}

/**
 * `rmsg` messages of the scaleout scenario: the room travels in the body, right after the
 * timestamp (`<ts>,r<n>,<filler>`), and the body is `size` bytes whatever the room's number.
 */
export function roomMessageMaker(size) {
  const head = `${PREFIX}rmsg;0;`;
  return (tsUs, room) => {
    const middle = `,r${room},`;
    const fill = Math.max(0, size - TS_DIGITS - middle.length);
    return head + String(Math.round(tsUs)).padStart(TS_DIGITS, '0') + middle + 'x'.repeat(fill);
  };
}
