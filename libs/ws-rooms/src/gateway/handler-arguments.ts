/**
 * The arguments a gateway handler runs with, which is what Nest's `ExecutionContext`,
 * `ArgumentsHost` and parameter factories read: the connection first (`getClient()`), the payload
 * second (`getData()`), the event last (`getPattern()`, as Nest reads it in a ws context).
 *
 * - an event message: `[connection, payload, event]`, as with Nest's own gateways;
 * - a native message: `[connection, data, isBinary, undefined]`: no event, so the pattern stays
 *   undefined, and the frame's kind sits before it for `@MessageIsBinary()`.
 */
export type HandlerArguments =
  | readonly [connection: unknown, payload: unknown, event: string]
  | readonly [connection: unknown, data: unknown, isBinary: boolean, event: undefined];

/** The arguments of an event message's handler. */
export function eventArguments(connection: unknown, payload: unknown, event: string): unknown[] {
  return [connection, payload, event];
}

/** The arguments of a native message's handler. */
export function nativeArguments(connection: unknown, data: unknown, isBinary: boolean): unknown[] {
  return [connection, data, isBinary, undefined];
}

/** True for the arguments of a native message that came in a binary frame. */
export function isBinaryArgument(args: readonly unknown[]): boolean {
  return args.length === 4 && args[2] === true;
}
