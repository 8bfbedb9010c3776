/**
 * Compile-time checks of `forRoot` and `forRootAsync` with a typed principal: written inline, the
 * options infer the principal from `authenticate`, so `presence.metadata` reads it without a type
 * annotation. The `@ts-expect-error` lines are verified by `tsc --noEmit`; the runtime test checks
 * that typed options still make a module.
 */
import type { IncomingMessage } from 'node:http';
import { defineWsRoomsOptions } from '../options/define-options';
import type { WsRoomsOptionsFactory } from './ws-rooms-async-options.interface';
import { WsRoomsModule } from './ws-rooms.module';

interface User {
  readonly name: string;
}

const fromToken = (request: IncomingMessage): User | null =>
  request.headers.authorization === undefined ? null : { name: 'alice' };

class Tokens {
  verify(token: string | undefined): Promise<User | false> {
    return Promise.resolve(token === undefined ? false : { name: token });
  }
}

class TypedFactory implements WsRoomsOptionsFactory<User> {
  createWsRoomsOptions() {
    return defineWsRoomsOptions({ endpoint: '/class', authenticate: fromToken });
  }
}

/** Type-checked, never called. */
const checks = {
  forRoot(): void {
    WsRoomsModule.forRoot({
      endpoint: '/inline',
      authenticate: (request) => fromToken(request),
      presence: { rooms: ['lobby'], metadata: ({ principal }) => ({ name: principal.name }) },
    });
    WsRoomsModule.forRoot({
      endpoint: '/inline',
      authenticate: fromToken,
      // @ts-expect-error a User has no email
      presence: { rooms: ['lobby'], metadata: ({ principal }) => ({ mail: principal.email }) },
    });
    // Without authenticate the principal is unknown (a guard may have set it).
    WsRoomsModule.forRoot({
      endpoint: '/anonymous',
      // @ts-expect-error an unknown principal has no name
      presence: { rooms: ['lobby'], metadata: ({ principal }) => ({ name: principal.name }) },
    });
  },

  forRootAsync(): void {
    WsRoomsModule.forRootAsync({
      inject: [Tokens],
      useFactory: (tokens: Tokens) => ({
        endpoint: '/async',
        authenticate: (request: IncomingMessage) => tokens.verify(request.headers.authorization),
        presence: { rooms: ['lobby'], metadata: ({ principal }) => ({ name: principal.name }) },
      }),
    });
    WsRoomsModule.forRootAsync({ useClass: TypedFactory });
  },
};

describe('WsRoomsModule with a typed principal', () => {
  it('is a compile-time contract (see the @ts-expect-error lines)', () => {
    expect(Object.keys(checks)).toEqual(['forRoot', 'forRootAsync']);
  });

  it('builds the module from typed options', () => {
    const module = WsRoomsModule.forRoot(
      defineWsRoomsOptions({
        endpoint: '/typed',
        authenticate: fromToken,
        presence: { rooms: ['lobby'], metadata: ({ principal }) => ({ name: principal.name }) },
      }),
    );
    expect(module.module).toBe(WsRoomsModule);
    expect(module.global).toBe(true);
  });
});
