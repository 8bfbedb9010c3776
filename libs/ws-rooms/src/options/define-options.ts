import type { WsRoomsOptions } from './ws-rooms-options.interface';

/**
 * Writes an endpoint's options once, with the principal inferred from `authenticate`: the request
 * is typed, `presence.metadata` receives that principal, and {@link WsRoomsPrincipal} reads it back
 * to type the connections. It returns its argument unchanged (a compile-time helper only).
 *
 * ```ts
 * export const chatOptions = defineWsRoomsOptions({
 *   endpoint: '/chat',
 *   authenticate: (request) => users.fromToken(request.headers.authorization), // User | null
 *   presence: { rooms: ['lobby'], metadata: ({ principal }) => ({ name: principal.name }) },
 * });
 * export type ChatConnection = WsConnection<ChatData, WsRoomsPrincipal<typeof chatOptions>, ChatEvents>;
 * // WsRoomsModule.forRoot(chatOptions)
 * ```
 */
export function defineWsRoomsOptions<TPrincipal = unknown>(
  options: WsRoomsOptions<TPrincipal>,
): WsRoomsOptions<TPrincipal> {
  return options;
}

/**
 * The principal of an endpoint's connections, read from its options: what their `authenticate`
 * accepts with (its result, a promise unwrapped, minus the refusals `undefined`, `null` and
 * `false`), or `unknown` without `authenticate`. Takes the type of options made by
 * {@link defineWsRoomsOptions} or checked with `satisfies WsRoomsOptions`.
 */
export type WsRoomsPrincipal<Options extends WsRoomsOptions> =
  Options extends WsRoomsOptions<infer TPrincipal> ? TPrincipal : never;
