import { createFakeWebSocket } from './testing/fake-websocket';
import { watchHandshakeStatus } from './websocket-like';

describe('watchHandshakeStatus', () => {
  it('reports the HTTP status where the implementation exposes it (ws)', () => {
    const kit = createFakeWebSocket({ nodeLike: true });
    const socket = new kit.WebSocket('ws://server');
    const statuses: number[] = [];
    watchHandshakeStatus(socket, (status) => statuses.push(status));
    kit.last.refuseHandshake(401);
    expect(statuses).toEqual([401]);
  });

  it('does nothing for a browser-like socket', () => {
    const kit = createFakeWebSocket();
    const socket = new kit.WebSocket('ws://server');
    expect(() => watchHandshakeStatus(socket, () => undefined)).not.toThrow();
  });
});
