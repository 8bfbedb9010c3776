import type { Connection } from '../../connection/connection';
import type { OutgoingRequests } from '../../connection/connection-state';
import { WsRoomsErrorCode } from '../../errors/error-codes';
import { WsRoomsError } from '../../errors/ws-rooms.error';
import type { BroadcastRequestResult } from '../../interfaces/broadcast-operator.interface';
import type { EmitValue } from '../../protocol/message-codec';
import { ReservedEvent } from '../../protocol/protocol.constants';
import {
  requestPayload,
  type ReplyEnvelope,
  type ReplyError,
} from '../../protocol/reserved-messages';
import type { OutboundRequest, RoomStore } from '../../store/room-store.interface';
import type { Recipients } from '../outbound/recipients';

/** What the request part needs to frame a request. */
export interface RequestFraming {
  frameEvent(event: string, value: EmitValue): Buffer;
}

/**
 * Server-to-client requests (`connection.request`, `to(room).request`): numbering, timeouts, the
 * replies that come back, and what is still pending when a connection closes. At most
 * `maxPending` requests wait on one connection: a timer and two closures each, kept up to the
 * request's timeout, whoever asks (a handler, a broadcast request, another node).
 */
export class RequestManager {
  constructor(
    private readonly framing: RequestFraming,
    private readonly recipients: Recipients,
    private readonly store: RoomStore,
    private readonly defaultTimeout: number,
    private readonly maxPending: number = 256,
  ) {}

  /**
   * Sends a request to one connection and waits for its reply.
   * @throws WsRoomsError (as a rejection) on timeout, closed connection, a failed reply, or at once
   * with `WS_ROOMS_REQUEST_LIMIT` when `maxPendingRequests` requests already wait on the connection.
   */
  request(
    connection: Connection,
    event: string,
    value: EmitValue,
    timeout: number = this.defaultTimeout,
  ): Promise<unknown> {
    if (connection.closed) {
      return Promise.reject(
        new WsRoomsError(WsRoomsErrorCode.RequestAborted, 'connection is closed'),
      );
    }
    const requests: OutgoingRequests = (connection.requests ??= { nextId: 1, pending: new Map() });
    if (requests.pending.size >= this.maxPending) {
      return Promise.reject(
        new WsRoomsError(
          WsRoomsErrorCode.RequestLimit,
          `${this.maxPending} requests to this connection are still waiting for replies (maxPendingRequests)`,
        ),
      );
    }
    const id = requests.nextId++;
    const frame = this.framing.frameEvent(ReservedEvent.Request, requestPayload(id, event, value));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        requests.pending.delete(id);
        reject(
          new WsRoomsError(
            WsRoomsErrorCode.RequestTimeout,
            `request "${event}" got no reply within ${timeout} ms`,
          ),
        );
      }, timeout);
      timer.unref();
      requests.pending.set(id, { resolve, reject, timer });
      connection.sendFrame(frame, false);
    });
  }

  /** Settles the request a reply answers; replies to unknown or finished requests are ignored. */
  replied(connection: Connection, reply: ReplyEnvelope): void {
    const pending = connection.requests?.pending.get(reply.id);
    if (pending === undefined) return;
    connection.requests!.pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(replyError(reply.error));
  }

  /** Rejects every request still waiting on a connection that closed. */
  abortAll(connection: Connection, code: number): void {
    const pending = connection.requests?.pending;
    if (pending === undefined || pending.size === 0) return;
    const aborted = new WsRoomsError(
      WsRoomsErrorCode.RequestAborted,
      `connection closed before the reply (${code})`,
    );
    for (const request of pending.values()) {
      clearTimeout(request.timer);
      request.reject(aborted);
    }
    pending.clear();
  }

  /**
   * Sends one request to every recipient, here and (through the store) on the other nodes, and
   * collects what comes back (never rejects).
   */
  async requestAll(
    rooms: readonly string[] | null,
    except: readonly string[],
    event: string,
    value: EmitValue,
    timeout: number = this.defaultTimeout,
  ): Promise<BroadcastRequestResult<unknown>> {
    const request = { rooms, except, event, value, timeout };
    const remote = this.store.requestRemote?.(request);
    const local = await this.requestLocally(request);
    if (remote === undefined) return local;
    const others = await remote;
    const replies = new Map([...local.replies, ...others.value.replies]);
    const errors = new Map([...local.errors, ...others.value.errors]);
    const missing = [...local.missing, ...others.value.missing];
    return { replies, errors, missing, partial: others.partial };
  }

  /** Sends one request to every local recipient and collects what comes back (never rejects). */
  async requestLocally({
    rooms,
    except,
    event,
    value,
    timeout,
  }: OutboundRequest): Promise<BroadcastRequestResult<unknown>> {
    const targets: Connection[] = [];
    this.recipients.forEach(rooms, except, (connection) => targets.push(connection));
    const replies = new Map<string, unknown>();
    const errors = new Map<string, { code: string; message: string }>();
    const missing: string[] = [];
    await Promise.all(
      targets.map((connection) =>
        this.request(connection, event, value, timeout).then(
          (reply) => void replies.set(connection.id, reply),
          (error: WsRoomsError) => {
            if (
              error.code === WsRoomsErrorCode.RequestTimeout ||
              error.code === WsRoomsErrorCode.RequestAborted
            ) {
              missing.push(connection.id);
            } else {
              errors.set(connection.id, { code: error.code, message: error.message });
            }
          },
        ),
      ),
    );
    return { replies, errors, missing, partial: false };
  }
}

/** A failed reply as the typed error the request's promise rejects with. */
function replyError(error: ReplyError): WsRoomsError {
  const result = new WsRoomsError(error.code as WsRoomsErrorCode, error.message);
  if (error.status !== undefined) Object.assign(result, { status: error.status });
  if (error.details !== undefined) Object.assign(result, { details: error.details });
  return result;
}
