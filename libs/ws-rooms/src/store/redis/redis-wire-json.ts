import type { RemoteCommand } from '../room-store.interface';
import {
  isApplicationCloseCode,
  jsonDepthWithin,
  MAX_CLOSE_REASON_BYTES,
  MAX_TIMEOUT_MS,
  utf8Within,
  type WireLimits,
} from './redis-wire-limits';
import {
  type WireDecodeResult,
  WireErrorCode,
  type WireFailure,
  WireKind,
  type WireQuery,
  type WireReplyBody,
  type WireRequestReport,
  type WireValue,
  wireFailure,
} from './redis-wire-types';

/**
 * The JSON bodies of commands, requests and replies: parsed once (`JSON.parse`, linear), after a
 * linear scan that refuses nesting beyond the limit, then checked field by field. Every list is
 * checked for its length before its entries are looked at, every string for its size, every
 * number for its range; no check recurses into an app's value. A body beyond a bound is
 * {@link WireErrorCode.OverLimit}; one of the wrong shape is {@link WireErrorCode.BadBody}.
 */
export function decodeJsonBody(
  data: Buffer,
  start: number,
  kind: typeof WireKind.Command | typeof WireKind.Request | typeof WireKind.Reply,
  nodeId: string,
  limits: WireLimits,
): WireDecodeResult {
  if (!jsonDepthWithin(data, start, limits.maxJsonDepth)) {
    return wireFailure(WireErrorCode.OverLimit, `body nested deeper than ${limits.maxJsonDepth}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(data.toString('utf8', start));
  } catch {
    return wireFailure(WireErrorCode.BadBody, 'body is not JSON');
  }
  if (!isObject(body)) return badShape();
  const check = new BodyCheck(limits);
  switch (kind) {
    case WireKind.Command: {
      const command = check.command(body.command);
      if (!isRequestId(body.id) || command === null) return check.failure();
      return { ok: true, message: { kind, nodeId, id: body.id, command } };
    }
    case WireKind.Request: {
      const query = check.query(body.query);
      if (!isRequestId(body.id) || query === null) return check.failure();
      return { ok: true, message: { kind, nodeId, id: body.id, query } };
    }
    case WireKind.Reply: {
      const reply = check.reply(body);
      return reply === null ? check.failure() : { ok: true, message: { kind, nodeId, reply } };
    }
  }
}

type JsonBody = Record<string, unknown>;

/** Checks the fields of one body, and remembers whether a failure was a bound or a shape. */
class BodyCheck {
  private overLimit: string | null = null;

  constructor(private readonly limits: WireLimits) {}

  failure(): WireFailure {
    return this.overLimit !== null
      ? wireFailure(WireErrorCode.OverLimit, this.overLimit)
      : badShape();
  }

  command(value: unknown): RemoteCommand | null {
    if (!isObject(value)) return null;
    const connectionId = this.name(value.connectionId, 'connection id');
    if (connectionId === null) return null;
    switch (value.kind) {
      case 'join':
      case 'leave': {
        const room = this.name(value.room, 'room');
        return room === null ? null : { kind: value.kind, connectionId, room };
      }
      case 'disconnect': {
        const { code, reason } = value;
        if (!Number.isInteger(code) || typeof reason !== 'string') return null;
        if (!isApplicationCloseCode(code)) return this.over(`close code ${String(code)}`);
        if (!utf8Within(reason, MAX_CLOSE_REASON_BYTES)) return this.over('close reason too long');
        return { kind: 'disconnect', connectionId, code, reason };
      }
      case 'takeover': {
        const token = this.name(value.token, 'token');
        const owner = this.text(value.owner, 'owner');
        return token === null || owner === null
          ? null
          : { kind: 'takeover', connectionId, token, owner };
      }
      default:
        return null;
    }
  }

  query(value: unknown): WireQuery | null {
    if (!isObject(value)) return null;
    switch (value.kind) {
      case 'members': {
        const room = this.name(value.room, 'room');
        return room === null ? null : { kind: 'members', room };
      }
      case 'roomsOf': {
        const connectionId = this.name(value.connectionId, 'connection id');
        return connectionId === null ? null : { kind: 'roomsOf', connectionId };
      }
      case 'rooms':
      case 'count':
        return { kind: value.kind };
      case 'request':
        return this.request(value);
      default:
        return null;
    }
  }

  reply(body: JsonBody): WireReplyBody | null {
    if (!isRequestId(body.id)) return null;
    const reply: {
      id: number;
      ran?: boolean;
      list?: readonly string[] | null;
      count?: number;
      report?: WireRequestReport;
    } = { id: body.id };
    if (body.report !== undefined) {
      const report = this.report(body.report);
      if (report === null) return null;
      reply.report = report;
    }
    if (body.ran !== undefined) {
      if (typeof body.ran !== 'boolean') return null;
      reply.ran = body.ran;
    }
    if (body.list !== undefined) {
      const list = body.list === null ? null : this.names(body.list, this.limits.maxListLength);
      if (list === null && body.list !== null) return null;
      reply.list = list;
    }
    if (body.count !== undefined) {
      if (!Number.isSafeInteger(body.count) || (body.count as number) < 0) return null;
      reply.count = body.count as number;
    }
    return reply;
  }

  private request(value: JsonBody): WireQuery | null {
    const { timeout } = value;
    const rooms = value.rooms === null ? null : this.names(value.rooms, this.limits.maxTargets);
    if (rooms === null && value.rooms !== null) return null;
    const except = this.names(value.except, this.limits.maxTargets);
    const event = this.name(value.event, 'event');
    const wire = asWireValue(value.value);
    if (except === null || event === null || wire === null) return null;
    if (!Number.isSafeInteger(timeout) || (timeout as number) <= 0) return null;
    if ((timeout as number) > MAX_TIMEOUT_MS)
      return this.over(`request timeout ${String(timeout)}`);
    return { kind: 'request', rooms, except, event, value: wire, timeout: timeout as number };
  }

  private report(value: unknown): WireRequestReport | null {
    if (!isObject(value)) return null;
    const { maxListLength } = this.limits;
    const replies = this.list(value.replies, maxListLength);
    const errors = this.list(value.errors, maxListLength);
    const missing = this.names(value.missing, maxListLength);
    if (replies === null || errors === null || missing === null) return null;
    const answered: (readonly [string, WireValue])[] = [];
    for (const entry of replies) {
      if (!Array.isArray(entry)) return null;
      const who = this.name(entry[0], 'connection id');
      const wire = who === null ? null : asWireValue(entry[1]);
      if (who === null || wire === null) return null;
      answered.push([who, wire]);
    }
    const failed: (readonly [string, { code: string; message: string }])[] = [];
    for (const entry of errors) {
      if (!Array.isArray(entry) || !isObject(entry[1])) return null;
      const who = this.name(entry[0], 'connection id');
      const { code, message } = entry[1];
      if (who === null || typeof code !== 'string' || typeof message !== 'string') return null;
      if (!utf8Within(code, this.limits.maxNameBytes)) return this.over('error code too long');
      if (!utf8Within(message, this.limits.maxTextBytes))
        return this.over('error message too long');
      failed.push([who, { code, message }]);
    }
    return { replies: answered, errors: failed, missing };
  }

  /** A non-empty name within `maxNameBytes`. */
  private name(value: unknown, what: string): string | null {
    if (typeof value !== 'string' || value.length === 0) return null;
    return utf8Within(value, this.limits.maxNameBytes) ? value : this.over(`${what} too long`);
  }

  /** A string (empty allowed) within `maxTextBytes`. */
  private text(value: unknown, what: string): string | null {
    if (typeof value !== 'string') return null;
    return utf8Within(value, this.limits.maxTextBytes) ? value : this.over(`${what} too long`);
  }

  /** An array of at most `max` entries (their shape is checked by the caller). */
  private list(value: unknown, max: number): readonly unknown[] | null {
    if (!Array.isArray(value)) return null;
    return value.length <= max ? value : this.over(`a list of ${value.length} entries`);
  }

  /** An array of at most `max` strings, each within `maxNameBytes`. */
  private names(value: unknown, max: number): readonly string[] | null {
    const list = this.list(value, max);
    if (list === null) return null;
    for (const item of list) {
      if (typeof item !== 'string') return null;
      if (!utf8Within(item, this.limits.maxNameBytes)) return this.over('a name too long');
    }
    return list as readonly string[];
  }

  private over(what: string): null {
    this.overLimit ??= what;
    return null;
  }
}

function asWireValue(value: unknown): WireValue | null {
  if (!isObject(value)) return null;
  if (typeof value.bytes === 'string') return { bytes: value.bytes };
  return 'value' in value ? { value: value.value } : null;
}

function isObject(value: unknown): value is JsonBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

function badShape(): WireFailure {
  return wireFailure(WireErrorCode.BadBody, 'body does not have the expected shape');
}
