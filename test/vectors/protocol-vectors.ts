/**
 * Byte-level vectors of the Iris event protocol (docs/protocol.md, "Message grammar" and "Payload types"), shared by the server
 * codec's tests and the client codec's tests so that both ends agree on every row.
 * All vectors use the default prefix `iris-websocket-message:`.
 */

/** A message the server encodes for `emit(event, value)`. */
export interface EncodeVector {
  readonly name: string;
  readonly event: string;
  readonly value: unknown;
  /** The exact message text produced (bytes vectors use `expectedBytes`). */
  readonly expected: string;
}

/** A message the server decodes. */
export interface DecodeVector {
  readonly name: string;
  /** The raw message as text, sent as UTF-8 bytes unless `latin1` is set. */
  readonly input: string;
  /** The input's characters are single bytes (`Buffer.from(input, 'latin1')`): for raw binary payloads. */
  readonly latin1?: boolean;
  readonly expected:
    | {
        readonly kind: 'event';
        readonly event: string;
        readonly type: number;
        readonly value: unknown;
      }
    | { readonly kind: 'native' }
    | { readonly kind: 'malformed'; readonly code: string };
}

export const PREFIX = 'iris-websocket-message:';
const P = PREFIX;

export const encodeVectors: readonly EncodeVector[] = [
  { name: 'string', event: 'chat', value: 'hello', expected: `${P}chat;0;hello` },
  { name: 'empty string', event: 'chat', value: '', expected: `${P}chat;0;` },
  { name: 'string with semicolons', event: 'chat', value: 'a;b;c', expected: `${P}chat;0;a;b;c` },
  { name: 'numeric string stays a string', event: 'n', value: '42', expected: `${P}n;0;42` },
  { name: 'unicode string', event: 'chat', value: 'héllo ☃ 😀', expected: `${P}chat;0;héllo ☃ 😀` },
  { name: 'integer', event: 'n', value: 42, expected: `${P}n;1;42` },
  { name: 'negative integer', event: 'n', value: -7, expected: `${P}n;1;-7` },
  { name: 'zero', event: 'n', value: 0, expected: `${P}n;1;0` },
  {
    name: 'max safe integer',
    event: 'n',
    value: 9007199254740991,
    expected: `${P}n;1;9007199254740991`,
  },
  {
    name: 'unsafe integer is JSON',
    event: 'n',
    value: 9007199254740992,
    expected: `${P}n;4;9007199254740992`,
  },
  { name: 'float is JSON', event: 'n', value: 3.5, expected: `${P}n;4;3.5` },
  { name: 'NaN is JSON null', event: 'n', value: Number.NaN, expected: `${P}n;4;null` },
  { name: 'true', event: 'b', value: true, expected: `${P}b;2;true` },
  { name: 'false', event: 'b', value: false, expected: `${P}b;2;false` },
  { name: 'object', event: 'o', value: { a: 1, b: 'x' }, expected: `${P}o;4;{"a":1,"b":"x"}` },
  { name: 'array', event: 'o', value: [1, 'two', null], expected: `${P}o;4;[1,"two",null]` },
  { name: 'null', event: 'o', value: null, expected: `${P}o;4;null` },
  {
    name: 'event name with spaces and unicode',
    event: 'my event ☃',
    value: 'x',
    expected: `${P}my event ☃;0;x`,
  },
];

/** Bytes payloads: the expected message is the head text followed by the raw bytes. */
export const encodeBytesVectors: readonly {
  name: string;
  event: string;
  bytes: number[];
  head: string;
}[] = [
  { name: 'bytes', event: 'bin', bytes: [0, 1, 2, 255], head: `${P}bin;3;` },
  { name: 'empty bytes', event: 'bin', bytes: [], head: `${P}bin;3;` },
];

export const decodeVectors: readonly DecodeVector[] = [
  {
    name: 'string',
    input: `${P}chat;0;hello`,
    expected: { kind: 'event', event: 'chat', type: 0, value: 'hello' },
  },
  {
    name: 'string keeps semicolons',
    input: `${P}chat;0;a;b`,
    expected: { kind: 'event', event: 'chat', type: 0, value: 'a;b' },
  },
  {
    name: 'empty string payload',
    input: `${P}chat;0;`,
    expected: { kind: 'event', event: 'chat', type: 0, value: '' },
  },
  {
    name: 'no separator after digit means empty payload',
    input: `${P}chat;0`,
    expected: { kind: 'event', event: 'chat', type: 0, value: '' },
  },
  {
    name: 'any separator character is skipped',
    input: `${P}chat;0:hi`,
    expected: { kind: 'event', event: 'chat', type: 0, value: 'hi' },
  },
  {
    name: 'unicode',
    input: `${P}chat;0;☃ 😀`,
    expected: { kind: 'event', event: 'chat', type: 0, value: '☃ 😀' },
  },
  {
    name: 'integer',
    input: `${P}n;1;42`,
    expected: { kind: 'event', event: 'n', type: 1, value: 42 },
  },
  {
    name: 'integer with leading zeros',
    input: `${P}n;1;007`,
    expected: { kind: 'event', event: 'n', type: 1, value: 7 },
  },
  {
    name: 'integer with plus sign',
    input: `${P}n;1;+5`,
    expected: { kind: 'event', event: 'n', type: 1, value: 5 },
  },
  {
    name: 'negative integer',
    input: `${P}n;1;-12`,
    expected: { kind: 'event', event: 'n', type: 1, value: -12 },
  },
  {
    name: 'original client float with type 1',
    input: `${P}n;1;3.5`,
    expected: { kind: 'event', event: 'n', type: 1, value: 3.5 },
  },
  {
    name: 'original client true with type 1',
    input: `${P}n;1;true`,
    expected: { kind: 'event', event: 'n', type: 1, value: true },
  },
  {
    name: 'original client false with type 1',
    input: `${P}n;1;false`,
    expected: { kind: 'event', event: 'n', type: 1, value: false },
  },
  {
    name: 'integer out of safe range',
    input: `${P}n;1;9007199254740993`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_INVALID_PAYLOAD' },
  },
  {
    name: 'integer not a number',
    input: `${P}n;1;abc`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_INVALID_PAYLOAD' },
  },
  {
    name: 'integer empty',
    input: `${P}n;1;`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_INVALID_PAYLOAD' },
  },
  {
    name: 'integer Infinity',
    input: `${P}n;1;Infinity`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_INVALID_PAYLOAD' },
  },
  {
    name: 'bool 1',
    input: `${P}b;2;1`,
    expected: { kind: 'event', event: 'b', type: 2, value: true },
  },
  {
    name: 'bool t',
    input: `${P}b;2;t`,
    expected: { kind: 'event', event: 'b', type: 2, value: true },
  },
  {
    name: 'bool T',
    input: `${P}b;2;T`,
    expected: { kind: 'event', event: 'b', type: 2, value: true },
  },
  {
    name: 'bool TRUE',
    input: `${P}b;2;TRUE`,
    expected: { kind: 'event', event: 'b', type: 2, value: true },
  },
  {
    name: 'bool true',
    input: `${P}b;2;true`,
    expected: { kind: 'event', event: 'b', type: 2, value: true },
  },
  {
    name: 'bool True',
    input: `${P}b;2;True`,
    expected: { kind: 'event', event: 'b', type: 2, value: true },
  },
  {
    name: 'bool 0',
    input: `${P}b;2;0`,
    expected: { kind: 'event', event: 'b', type: 2, value: false },
  },
  {
    name: 'bool f',
    input: `${P}b;2;f`,
    expected: { kind: 'event', event: 'b', type: 2, value: false },
  },
  {
    name: 'bool F',
    input: `${P}b;2;F`,
    expected: { kind: 'event', event: 'b', type: 2, value: false },
  },
  {
    name: 'bool FALSE',
    input: `${P}b;2;FALSE`,
    expected: { kind: 'event', event: 'b', type: 2, value: false },
  },
  {
    name: 'bool false',
    input: `${P}b;2;false`,
    expected: { kind: 'event', event: 'b', type: 2, value: false },
  },
  {
    name: 'bool False',
    input: `${P}b;2;False`,
    expected: { kind: 'event', event: 'b', type: 2, value: false },
  },
  {
    name: 'bool yes is invalid',
    input: `${P}b;2;yes`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_INVALID_PAYLOAD' },
  },
  {
    name: 'bytes',
    input: `${P}bin;3;\u0000\u0001\u00ff`,
    latin1: true,
    expected: { kind: 'event', event: 'bin', type: 3, value: [0, 1, 0xff] },
  },
  {
    name: 'json object',
    input: `${P}o;4;{"a":[1,2]}`,
    expected: { kind: 'event', event: 'o', type: 4, value: { a: [1, 2] } },
  },
  {
    name: 'json null',
    input: `${P}o;4;null`,
    expected: { kind: 'event', event: 'o', type: 4, value: null },
  },
  {
    name: 'json string',
    input: `${P}o;4;"x"`,
    expected: { kind: 'event', event: 'o', type: 4, value: 'x' },
  },
  {
    name: 'json number',
    input: `${P}o;4;3.5`,
    expected: { kind: 'event', event: 'o', type: 4, value: 3.5 },
  },
  {
    name: 'json invalid',
    input: `${P}o;4;{oops`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_INVALID_PAYLOAD' },
  },
  {
    name: 'json empty',
    input: `${P}o;4;`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_INVALID_PAYLOAD' },
  },
  {
    name: 'prefix only',
    input: P,
    expected: { kind: 'malformed', code: 'WS_ROOMS_MALFORMED_MESSAGE' },
  },
  {
    name: 'no semicolon after name',
    input: `${P}chat`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_MALFORMED_MESSAGE' },
  },
  {
    name: 'empty event name',
    input: `${P};0;x`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_MALFORMED_MESSAGE' },
  },
  {
    name: 'no type digit',
    input: `${P}chat;`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_MALFORMED_MESSAGE' },
  },
  {
    name: 'type is not a digit',
    input: `${P}chat;x;hello`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_MALFORMED_MESSAGE' },
  },
  {
    name: 'unknown type digit',
    input: `${P}chat;7;hello`,
    expected: { kind: 'malformed', code: 'WS_ROOMS_UNKNOWN_PAYLOAD_TYPE' },
  },
  { name: 'native text', input: 'hello world', expected: { kind: 'native' } },
  { name: 'native empty', input: '', expected: { kind: 'native' } },
  {
    name: 'prefix cut short is native',
    input: 'iris-websocket-messag',
    expected: { kind: 'native' },
  },
  {
    name: 'legacy prefix is native under the default prefix',
    input: 'go-websocket-message:chat;0;x',
    expected: { kind: 'native' },
  },
];
