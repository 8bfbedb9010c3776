import type { Server } from 'node:http';
import { monotonicNow } from '../../util/clock';

/** How often a deadline that has passed looks whether the HTTP server has begun to close. */
const CLOSE_POLL_MS = 50;

/** The part of an HTTP server the deadline uses (Node's `http.Server` and `https.Server`). */
type ClosableServer = Pick<Server, 'listening' | 'once' | 'off'> & {
  closeAllConnections?: () => void;
};

/**
 * Makes sure an HTTP server's connections end by a deadline once it closes: at `deadline` (on the
 * monotonic clock), or as soon after it as the server stops listening, every connection it still
 * tracks is destroyed (`closeAllConnections()`), an incomplete request head and an idle keep-alive
 * included. Without it `server.close()` waits for them for as long as their clients like: Node
 * stops the headers timeout once `close()` runs. Nothing happens while the server still listens
 * (the app is not closing it yet), nor once it has closed. Its timers never keep the process alive.
 * Returns a function that disarms it.
 */
export function closeHttpConnectionsAt(
  server: ClosableServer,
  deadline: number,
  now: () => number = monotonicNow,
): () => void {
  if (typeof server.closeAllConnections !== 'function') return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const disarm = (): void => {
    clearTimeout(timer);
    timer = undefined;
    server.off('close', disarm);
  };
  const check = (): void => {
    if (server.listening) {
      timer = setTimeout(check, CLOSE_POLL_MS);
      timer.unref();
      return;
    }
    disarm();
    server.closeAllConnections?.();
  };
  server.once('close', disarm);
  timer = setTimeout(check, Math.max(0, deadline - now()));
  timer.unref();
  return disarm;
}
