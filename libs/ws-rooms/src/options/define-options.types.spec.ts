/**
 * Compile-time checks of `defineWsRoomsOptions` and `WsRoomsPrincipal`: the principal follows
 * `authenticate` into `presence.metadata` and into `WsConnection`. The `@ts-expect-error` lines are
 * verified by `tsc --noEmit` (a directive that stopped being an error fails tsc); the runtime tests
 * check what the helper does at run time, which is nothing but return its argument.
 */
import type { IncomingMessage } from 'node:http';
import type { PrincipalOf } from '../interfaces/event-map.interface';
import type { WsConnection } from '../interfaces/ws-connection.interface';
import { defineWsRoomsOptions, type WsRoomsPrincipal } from './define-options';
import { resolveOptions } from './resolve-options';
import type { WsRoomsOptions } from './ws-rooms-options.interface';

interface User {
  readonly name: string;
}

const users = new Map<string, User>([['t1', { name: 'alice' }]]);

/** Exactly `true` when the two types are the same (not merely assignable). */
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Same<A, B>): Same<A, B> => proof;

const synchronous = defineWsRoomsOptions({
  endpoint: '/sync',
  // The request is typed without an annotation.
  authenticate: (request) => users.get(request.headers.authorization ?? '') ?? null,
  presence: {
    rooms: ['lobby'],
    // The principal is a User here: `authenticate` refused everything else.
    metadata: ({ principal }) => ({ name: principal.name }),
  },
});

const asynchronous = defineWsRoomsOptions({
  endpoint: '/async',
  authenticate: async (request: IncomingMessage) =>
    request.url?.includes('ok') ? { id: 7, admin: false } : undefined,
});

const anonymous = defineWsRoomsOptions({ endpoint: '/anonymous' });

const checked = {
  endpoint: '/checked',
  authenticate: (request: IncomingMessage): string | false => request.url ?? false,
} satisfies WsRoomsOptions;

/** Type-checked, never called. */
const checks = {
  principals(): void {
    void [anonymous, checked];
    same<WsRoomsPrincipal<typeof synchronous>, User>(true);
    same<WsRoomsPrincipal<typeof asynchronous>, { id: number; admin: boolean }>(true);
    same<WsRoomsPrincipal<typeof anonymous>, unknown>(true);
    same<WsRoomsPrincipal<typeof checked>, string>(true);
    // The same as naming it from the function, as before.
    same<WsRoomsPrincipal<typeof checked>, PrincipalOf<typeof checked.authenticate>>(true);
    // @ts-expect-error the refusals are not principals
    same<WsRoomsPrincipal<typeof synchronous>, User | null>(true);
  },

  connection(c: WsConnection<object, WsRoomsPrincipal<typeof synchronous>>): void {
    const name: string = c.principal.name;
    void name;
    // @ts-expect-error a User has no id
    void c.principal.id;
  },

  metadata(): void {
    defineWsRoomsOptions({
      endpoint: '/x',
      authenticate: () => ({ name: 'a' }),
      // @ts-expect-error the principal has no `email`
      presence: { rooms: ['r'], metadata: ({ principal }) => ({ email: principal.email }) },
    });
  },

  authenticate(): void {
    defineWsRoomsOptions({
      endpoint: '/x',
      // @ts-expect-error authenticate receives the IncomingMessage, not a string
      authenticate: (request: string) => request,
    });
  },

  factory(): void {
    // forRootAsync: the factory returns typed options; the principal is read from its result.
    const factory = async (header: string) =>
      defineWsRoomsOptions({
        endpoint: '/f',
        authenticate: (request) => (request.headers[header] === 'ok' ? { name: 'x' } : false),
      });
    same<WsRoomsPrincipal<Awaited<ReturnType<typeof factory>>>, { name: string }>(true);
    void factory;
  },

  options(): void {
    // Typed options remain options: forRoot, forRootAsync factories and the adapter take them.
    const plain: WsRoomsOptions = synchronous;
    const factory: () => Promise<WsRoomsOptions> = async () => asynchronous;
    void [plain, factory];
  },
};

describe('defineWsRoomsOptions', () => {
  it('is a compile-time helper (see the @ts-expect-error lines)', () => {
    expect(Object.keys(checks)).toEqual([
      'principals',
      'connection',
      'metadata',
      'authenticate',
      'factory',
      'options',
    ]);
  });

  it('returns its argument unchanged', () => {
    const options = { endpoint: '/ws', maxRoomsPerConnection: 3 };
    expect(defineWsRoomsOptions(options)).toBe(options);
  });

  it('gives options that resolve like any others', () => {
    const resolved = resolveOptions(synchronous);
    expect(resolved.endpoint).toBe('/sync');
    expect(resolved.authenticate).toBe(synchronous.authenticate);
    const presence = resolved.presence;
    if (presence === false) throw new Error('presence should be on');
    expect(presence.metadata({ id: 'x', principal: { name: 'alice' } })).toEqual({
      name: 'alice',
    });
  });
});
