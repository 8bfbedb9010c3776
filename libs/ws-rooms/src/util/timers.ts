import WebSocket from 'ws';

/** A timer that never keeps the process alive, and its cancellation. */
export function delay(milliseconds: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, milliseconds);
    timer.unref();
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Waits for `promise`, at most `milliseconds`; true when it settled in time. */
export async function within(promise: Promise<unknown>, milliseconds: number): Promise<boolean> {
  const deadline = delay(milliseconds);
  let settled = false;
  await Promise.race([promise.then(() => (settled = true)), deadline.promise]);
  deadline.cancel();
  return settled;
}

/** Resolves when the socket has closed (at once when it already has). */
export function waitForClose(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => ws.once('close', () => resolve()));
}
