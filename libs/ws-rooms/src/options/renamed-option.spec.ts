import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { LEGACY_PREFIX } from '../protocol/protocol.constants';
import { renamedOption } from './renamed-option';
import { resolveOptions } from './resolve-options';
import type { WsRoomsOptions } from './ws-rooms-options.interface';

function failureOf(run: () => unknown): WsRoomsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WsRoomsError);
    return error as WsRoomsError;
  }
  throw new Error('expected a WsRoomsError');
}

describe('renamedOption', () => {
  it('takes the current name', () => {
    expect(renamedOption('new', 1, 'old', undefined)).toEqual({ key: 'new', value: 1 });
  });

  it('takes the deprecated alias when only it is given', () => {
    expect(renamedOption('new', undefined, 'old', 2)).toEqual({ key: 'old', value: 2 });
  });

  it('accepts both with the same value', () => {
    expect(renamedOption('new', 3, 'old', 3)).toEqual({ key: 'new', value: 3 });
  });

  it('treats null like an absent option', () => {
    expect(renamedOption<number | null>('new', null, 'old', 4)).toEqual({ key: 'old', value: 4 });
    expect(renamedOption('new', undefined, 'old', undefined)).toEqual({
      key: 'new',
      value: undefined,
    });
  });

  it('refuses both with different values, with WS_ROOMS_INVALID_OPTION', () => {
    const error = failureOf(() => renamedOption('new', 'a', 'old', 'b'));
    expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
    expect(error.message).toBe(
      'ws-rooms: invalid option: "new" ("a") and its deprecated alias "old" ("b") differ: give "new" only',
    );
  });
});

describe('messagePrefix and its deprecated alias prefix', () => {
  const resolve = (options: Omit<WsRoomsOptions, 'endpoint'>) =>
    resolveOptions({ endpoint: '/ws', ...options });

  it('resolves the new name', () => {
    expect(resolve({ messagePrefix: LEGACY_PREFIX }).messagePrefix).toBe(LEGACY_PREFIX);
  });

  it('resolves the alias to the same setting', () => {
    expect(resolve({ prefix: LEGACY_PREFIX }).messagePrefix).toBe(LEGACY_PREFIX);
  });

  it('accepts both when they agree', () => {
    expect(resolve({ prefix: 'p:', messagePrefix: 'p:' }).messagePrefix).toBe('p:');
  });

  it('refuses both when they differ', () => {
    const error = failureOf(() => resolve({ prefix: 'a:', messagePrefix: 'b:' }));
    expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
    expect(error.message).toBe(
      'ws-rooms: invalid option: "messagePrefix" ("b:") and its deprecated alias "prefix" ("a:") differ: give "messagePrefix" only',
    );
  });

  it('does not keep the alias in the resolved options', () => {
    expect(Object.keys(resolve({ prefix: 'p:' }))).not.toContain('prefix');
  });
});

describe('metrics.metricNamePrefix and its deprecated alias metrics.prefix', () => {
  const metricsOf = (metrics: NonNullable<WsRoomsOptions['metrics']>) => {
    const resolved = resolveOptions({ endpoint: '/ws', metrics }).metrics;
    if (resolved === false) throw new Error('metrics should be on');
    return resolved;
  };

  it('resolves the new name', () => {
    expect(metricsOf({ metricNamePrefix: 'chat_' }).metricNamePrefix).toBe('chat_');
  });

  it('resolves the alias to the same setting', () => {
    expect(metricsOf({ prefix: 'chat_' }).metricNamePrefix).toBe('chat_');
  });

  it('accepts both when they agree', () => {
    expect(metricsOf({ prefix: 'c_', metricNamePrefix: 'c_' }).metricNamePrefix).toBe('c_');
  });

  it('refuses both when they differ', () => {
    const error = failureOf(() => metricsOf({ prefix: 'a_', metricNamePrefix: 'b_' }));
    expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
    expect(error.message).toBe(
      'ws-rooms: invalid option: "metrics.metricNamePrefix" ("b_") and its deprecated alias "metrics.prefix" ("a_") differ: give "metrics.metricNamePrefix" only',
    );
  });
});
