/**
 * Bounded waits on the modern client's events, shared by the suites that drive it from Node: each
 * resolves with the event that proves a behaviour, or rejects after a timeout.
 */
import type { PresenceChange, RecoveryResult, WsRoomsClient } from 'ws-rooms/client';

/** The default bound of a wait. */
export const WAIT_MS = 5000;

/** Resolves with the first value `subscribe` delivers, or rejects after `ms`. */
export function next<T>(
  subscribe: (deliver: (value: T) => void) => () => void,
  label: string,
  ms = WAIT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${ms} ms waiting for ${label}`));
    }, ms);
    const unsubscribe = subscribe((value) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

export const opened = (client: WsRoomsClient): Promise<void> =>
  client.state === 'open'
    ? Promise.resolve()
    : next<void>((deliver) => client.onConnect(() => deliver()), 'open');

export const nextRecovery = (client: WsRoomsClient): Promise<RecoveryResult> =>
  next<RecoveryResult>((deliver) => client.onRecovery(deliver), 'a recovery result');

export const nextPresence = (
  client: WsRoomsClient,
  match: (change: PresenceChange) => boolean,
  label: string,
): Promise<PresenceChange> =>
  next<PresenceChange>(
    (deliver) => client.onPresence((change) => match(change) && deliver(change)),
    label,
  );

/** The rejection of a promise that must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Collects the values of one event a client receives, in order. */
export function collect(client: WsRoomsClient, event: string): unknown[] {
  const values: unknown[] = [];
  client.on(event, (value) => values.push(value));
  return values;
}
