import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type { DecodedValue } from './message-codec';
import { isDecimalText, parseBooleanText } from './payload-text';

/**
 * Converts a decoded payload to the type a handler declares for its `@MessageBody()` (read from
 * `design:paramtypes`), as Iris converted a message to the handler's Go parameter type.
 * Objects, arrays and classes pass through untouched: validation and class transformation are the
 * job of pipes such as `ValidationPipe`.
 * @throws WsRoomsError `WS_ROOMS_PAYLOAD_CONVERSION` when the value cannot become the declared type.
 */
export function coercePayload(value: DecodedValue, declared: unknown): unknown {
  if (declared === String) return toText(value);
  if (declared === Number) return toNumber(value);
  if (declared === Boolean) return toBoolean(value);
  if (declared === Buffer || declared === Uint8Array) return toBuffer(value);
  return value;
}

function toText(value: DecodedValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return JSON.stringify(value);
}

function toNumber(value: DecodedValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && isFiniteDecimal(value.trim())) return Number(value);
  if (Buffer.isBuffer(value)) {
    const text = value.toString('utf8').trim();
    if (isFiniteDecimal(text)) return Number(text);
  }
  throw conversionError(value, 'number');
}

/** Decimal text whose value is finite: `1e999` would become Infinity, which no payload type carries. */
function isFiniteDecimal(text: string): boolean {
  return isDecimalText(text) && Number.isFinite(Number(text));
}

function toBoolean(value: DecodedValue): boolean {
  if (typeof value === 'boolean') return value;
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || Buffer.isBuffer(value)
        ? String(value)
        : null;
  const parsed = text === null ? undefined : parseBooleanText(text);
  if (parsed !== undefined) return parsed;
  throw conversionError(value, 'boolean');
}

function toBuffer(value: DecodedValue): Buffer {
  if (Buffer.isBuffer(value)) return value;
  return Buffer.from(toText(value), 'utf8');
}

function conversionError(value: DecodedValue, target: string): WsRoomsError {
  const shown = Buffer.isBuffer(value) ? `${value.length} bytes` : JSON.stringify(value);
  return new WsRoomsError(
    WsRoomsErrorCode.PayloadConversion,
    `payload ${shown.length > 64 ? shown.slice(0, 61) + '...' : shown} cannot be converted to ${target}`,
  );
}
