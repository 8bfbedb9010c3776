import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';

/** Which of an option's two names was given, and its value. */
export interface RenamedOptionValue<T> {
  /** The name the value came from: the current one unless only the deprecated alias was given. */
  readonly key: string;
  /** The value given under either name, or undefined when neither was given. */
  readonly value: T | undefined;
}

/**
 * Reads an option that was renamed and keeps its former name as a deprecated alias. Either name may
 * be given, or both with the same value; two different values are a contradiction that would make
 * one of them silently lose, so they stop the start-up.
 * @param key the option's current name as the user writes it (e.g. `"metrics.metricNamePrefix"`)
 * @param alias the deprecated name (e.g. `"metrics.prefix"`)
 * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION` when both are given and differ
 */
export function renamedOption<T>(
  key: string,
  value: T | undefined,
  alias: string,
  aliasValue: T | undefined,
): RenamedOptionValue<T> {
  // null counts as absent, like every other option.
  const given = value ?? undefined;
  const former = aliasValue ?? undefined;
  if (given !== undefined && former !== undefined && given !== former) {
    throw new WsRoomsError(
      WsRoomsErrorCode.InvalidOption,
      `ws-rooms: invalid option: "${key}" (${JSON.stringify(given)}) and its deprecated alias ` +
        `"${alias}" (${JSON.stringify(former)}) differ: give "${key}" only`,
    );
  }
  return given !== undefined || former === undefined
    ? { key, value: given }
    : { key: alias, value: former };
}
