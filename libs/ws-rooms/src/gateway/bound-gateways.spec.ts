import 'reflect-metadata';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { assertGatewayBound, markGatewayBound } from './bound-gateways';
import { WsRoomsGateway } from './decorators/ws-rooms-gateway.decorator';

@WsRoomsGateway({ endpoint: 'admin' })
class AdminGateway {
  readonly calls: unknown[][] = [];

  onApplicationBootstrap(...args: unknown[]): string {
    this.calls.push(args);
    return 'own result';
  }
}

@WsRoomsGateway()
class DefaultGateway {}

describe('bound gateways', () => {
  it('refuses a gateway no endpoint bound, naming the forRoot() to add', () => {
    expect(() => assertGatewayBound(new DefaultGateway())).toThrow(
      expect.objectContaining({
        code: WsRoomsErrorCode.InvalidGateway,
        message:
          'ws-rooms: gateway DefaultGateway is a @WsRoomsGateway, but the application imports no ' +
          "WsRoomsModule to serve it; add WsRoomsModule.forRoot('/ws') (with your path) to the " +
          'imports of the root module',
      }),
    );
    expect(() => assertGatewayBound(new AdminGateway())).toThrow(
      "add WsRoomsModule.forRoot({ endpoint: '/ws', name: 'admin' }) (with your path)",
    );
  });

  it('accepts a bound instance, and no other instance of its class', () => {
    const bound = new DefaultGateway();
    markGatewayBound(bound);
    expect(() => assertGatewayBound(bound)).not.toThrow();
    expect(() => assertGatewayBound(new DefaultGateway())).toThrow();
  });

  it("@WsRoomsGateway checks in onApplicationBootstrap, then runs the class's own", () => {
    const unbound = new AdminGateway();
    expect(() => unbound.onApplicationBootstrap('x')).toThrow();
    expect(unbound.calls).toEqual([]);
    const bound = new AdminGateway();
    markGatewayBound(bound);
    expect(bound.onApplicationBootstrap('x')).toBe('own result');
    expect(bound.calls).toEqual([['x']]);
    const plain = new DefaultGateway() as { onApplicationBootstrap?: () => unknown };
    markGatewayBound(plain);
    expect(plain.onApplicationBootstrap?.()).toBeUndefined();
  });
});
