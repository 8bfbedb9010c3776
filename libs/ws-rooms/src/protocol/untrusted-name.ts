/**
 * How many characters of an untrusted name an error message shows by default: enough to recognise
 * any real event or room name, too few for a peer to make the server repeat a long text back.
 */
export const UNTRUSTED_NAME_SHOWN_LENGTH = 64;

/** Marks a name cut short by {@link renderUntrustedName}. */
const ELLIPSIS = '…';

/**
 * Renders a name that came from the network (an event name inside a request envelope, a room name)
 * for an error message: as a JSON string literal, so quotes, backslashes, control characters and
 * lone surrogates are escaped and cannot forge the rest of the message or a log line; and cut to
 * `maxLength` characters followed by `…` when longer, so the message stays short whatever was sent.
 * A cut never splits a surrogate pair. Pure string work, no Node APIs.
 *
 * @example renderUntrustedName('chat') // '"chat"'
 * @example renderUntrustedName('x'.repeat(100)) // '"xxx…xxx"…' (64 x inside the quotes)
 * @param maxLength characters shown at most (a non-negative integer). @default 64
 */
export function renderUntrustedName(
  name: string,
  maxLength: number = UNTRUSTED_NAME_SHOWN_LENGTH,
): string {
  const text = String(name);
  if (text.length <= maxLength) return JSON.stringify(text);
  let end = Math.max(0, Math.floor(maxLength));
  // Do not leave the high half of a surrogate pair alone at the end of the cut.
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return JSON.stringify(text.slice(0, end)) + ELLIPSIS;
}
