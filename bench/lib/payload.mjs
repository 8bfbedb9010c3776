/**
 * The benchmark's messages, in the Iris wire format (PROTOCOL.md section 1):
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
 * Reads the send timestamp of a received message (a Buffer from `ws` or a string from
 * socket.io). Returns 0 for the sync messages and -1 for anything that is not ours.
 */
export function readTimestamp(data) {
  let v = 0;
  if (typeof data === 'string') {
    if (data.length < TS_OFFSET + TS_DIGITS) return -1;
    for (let i = TS_OFFSET; i < TS_OFFSET + TS_DIGITS; i++) v = v * 10 + data.charCodeAt(i) - 48;
  } else {
    if (data.length < TS_OFFSET + TS_DIGITS) return -1;
    for (let i = TS_OFFSET; i < TS_OFFSET + TS_DIGITS; i++) v = v * 10 + data[i] - 48;
  }
  return Number.isFinite(v) && v >= 0 ? v : -1;
}
