import { DEFAULT_CLIENT_DECODE_LIMITS } from './client-codec';
import {
  DEFAULT_CLIENT_OPTIONS,
  DEFAULT_RECONNECT_OPTIONS,
  resolveClientOptions,
} from './client-options';
import { defaultShouldReconnect } from './reconnect-policy';
import { createFakeWebSocket } from './testing/fake-websocket';

describe('client options', () => {
  const { WebSocket } = createFakeWebSocket();

  it('has explicit defaults', () => {
    expect(DEFAULT_CLIENT_OPTIONS).toEqual({
      prefix: 'iris-websocket-message:',
      autoConnect: true,
      sendBufferSize: 100,
      sendBufferPolicy: 'drop-oldest',
      requestTimeout: 10_000,
      recovery: false,
      identity: true,
      sessionTimeout: 5000,
    });
    expect(DEFAULT_RECONNECT_OPTIONS).toEqual({
      initialDelay: 100,
      maxDelay: 5000,
      factor: 2,
      jitter: true,
      resetAfter: 5000,
      maxFailedAttempts: 20,
      tryAgainLaterDelay: 5000,
      shouldReconnect: defaultShouldReconnect,
    });
  });

  it('applies the defaults', () => {
    const resolved = resolveClientOptions({ WebSocket });
    expect(resolved).toMatchObject({ ...DEFAULT_CLIENT_OPTIONS, WebSocket, protocols: undefined });
    expect(resolved.reconnect).toEqual(DEFAULT_RECONNECT_OPTIONS);
  });

  it('merges partial reconnect options and turns reconnection off with false', () => {
    expect(resolveClientOptions({ WebSocket, reconnect: { maxDelay: 1000 } }).reconnect).toEqual({
      ...DEFAULT_RECONNECT_OPTIONS,
      maxDelay: 1000,
    });
    expect(resolveClientOptions({ WebSocket, reconnect: false }).reconnect).toBeNull();
    expect(
      resolveClientOptions({ WebSocket, reconnect: { maxFailedAttempts: Infinity } }).reconnect
        ?.maxFailedAttempts,
    ).toBe(Infinity);
  });

  it('takes injected timers over the globals, one by one', () => {
    const random = () => 0.25;
    const timers = resolveClientOptions({ WebSocket, timers: { random } }).timers;
    expect(timers.random).toBe(random);
    expect(typeof timers.setTimeout).toBe('function');
  });

  it('checks sessionTimeout', () => {
    expect(resolveClientOptions({ WebSocket, sessionTimeout: 250 }).sessionTimeout).toBe(250);
    for (const sessionTimeout of [0, -5, NaN, Infinity, 2 ** 31, '5']) {
      expect(() =>
        resolveClientOptions({ WebSocket, sessionTimeout: sessionTimeout as number }),
      ).toThrow(/^Invalid option sessionTimeout: .* \(expected a number > 0 and <= 2147483647\)$/);
    }
  });

  it('checks requestTimeout and recovery', () => {
    expect(resolveClientOptions({ WebSocket, requestTimeout: 1 }).requestTimeout).toBe(1);
    expect(resolveClientOptions({ WebSocket, recovery: true }).recovery).toBe(true);
    for (const requestTimeout of [0, -1, NaN, Infinity, 2 ** 31, '5']) {
      expect(() =>
        resolveClientOptions({ WebSocket, requestTimeout: requestTimeout as number }),
      ).toThrow(/^Invalid option requestTimeout: .* \(expected a number > 0 and <= 2147483647\)$/);
    }
    expect(() => resolveClientOptions({ WebSocket, recovery: 1 as unknown as boolean })).toThrow(
      'Invalid option recovery: 1 (expected a boolean)',
    );
    expect(resolveClientOptions({ WebSocket, identity: false }).identity).toBe(false);
    expect(() => resolveClientOptions({ WebSocket, identity: 'no' as unknown as boolean })).toThrow(
      'Invalid option identity: "no" (expected a boolean)',
    );
  });

  it('resolves the decode limits field by field over their defaults', () => {
    expect(resolveClientOptions({ WebSocket }).limits).toEqual({
      maxJsonDepth: 256,
      maxJsonValues: 1_048_576,
      maxJsonStringLength: 16_777_216,
    });
    expect(resolveClientOptions({ WebSocket }).limits).toBe(DEFAULT_CLIENT_DECODE_LIMITS);
    expect(
      resolveClientOptions({ WebSocket, limits: { maxJsonDepth: 8, maxJsonValues: Infinity } })
        .limits,
    ).toEqual({ ...DEFAULT_CLIENT_DECODE_LIMITS, maxJsonDepth: 8, maxJsonValues: Infinity });
  });

  it('refuses a decode limit that is not a non-negative integer or Infinity', () => {
    for (const value of [-1, 1.5, NaN, -Infinity, '8']) {
      expect(() =>
        resolveClientOptions({ WebSocket, limits: { maxJsonValues: value as number } }),
      ).toThrow(
        /^Invalid option limits\.maxJsonValues: .* \(expected a non-negative integer or Infinity\)$/,
      );
    }
    expect(() =>
      resolveClientOptions({ WebSocket, limits: 5 as unknown as { maxJsonDepth: number } }),
    ).toThrow('Invalid option limits: 5 (expected an object)');
  });
});
