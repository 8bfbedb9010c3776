import {
  defaultShouldReconnect,
  isRetryableHandshakeStatus,
  type CloseDetails,
} from './reconnect-policy';

const close = (overrides: Partial<CloseDetails>): CloseDetails => ({
  code: 1006,
  reason: '',
  wasClean: false,
  opened: true,
  ...overrides,
});

describe('reconnect policy', () => {
  it.each([
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [426, false],
    [200, false],
    [302, false],
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
  ])('handshake status %i is retryable: %p', (status, expected) => {
    expect(isRetryableHandshakeStatus(status)).toBe(expected);
    expect(defaultShouldReconnect(close({ opened: false, handshakeStatus: status }))).toBe(
      expected,
    );
  });

  it.each([
    [1000, false],
    [1001, true],
    [1002, true],
    [1003, false],
    [1005, true],
    [1006, true],
    [1007, true],
    [1008, false],
    [1009, true],
    [1011, true],
    [1012, true],
    [1013, true],
    [3000, true],
    [4000, false],
    [4403, false],
    [4499, false],
    [4500, true],
    [4999, true],
  ])('close code %i is retried: %p', (code, expected) => {
    expect(defaultShouldReconnect(close({ code }))).toBe(expected);
  });
});
