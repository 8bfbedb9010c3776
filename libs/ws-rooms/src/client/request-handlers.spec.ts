import { RequestHandlerRegistry, toReplyError } from './request-handlers';

describe('RequestHandlerRegistry', () => {
  const request = (event: string, value: unknown = 1) => ({ id: 7, event, value: value as never });

  it('replies with what the handler returns or resolves with', async () => {
    const registry = new RequestHandlerRegistry();
    registry.set('sync', (value) => `got ${String(value)}`);
    registry.set('async', async () => ({ ok: true }));
    registry.set('nothing', () => undefined);
    registry.set('bytes', () => Uint8Array.of(1, 2));
    await expect(registry.answer(request('sync'))).resolves.toEqual({ id: 7, value: 'got 1' });
    await expect(registry.answer(request('async'))).resolves.toEqual({
      id: 7,
      value: { ok: true },
    });
    await expect(registry.answer(request('nothing'))).resolves.toEqual({ id: 7, value: null });
    await expect(registry.answer(request('bytes'))).resolves.toEqual({ id: 7, bytes: 'AQI=' });
  });

  it('runs the handler synchronously, when the request arrives', () => {
    const registry = new RequestHandlerRegistry();
    const calls: unknown[] = [];
    registry.set('e', (value) => calls.push(value));
    void registry.answer(request('e', 'now'));
    expect(calls).toEqual(['now']);
  });

  it('turns a throw or a rejection into an error reply', async () => {
    const registry = new RequestHandlerRegistry();
    registry.set('throws', () => {
      throw Object.assign(new Error('denied'), { code: 'APP_DENIED', status: 403 });
    });
    registry.set('rejects', () => Promise.reject(new TypeError('bug')));
    registry.set('throws-string', () => {
      throw 'plain';
    });
    await expect(registry.answer(request('throws'))).resolves.toEqual({
      id: 7,
      error: { code: 'APP_DENIED', message: 'denied', status: 403 },
    });
    await expect(registry.answer(request('rejects'))).resolves.toEqual({
      id: 7,
      error: { code: 'WS_ROOMS_CLIENT_HANDLER_ERROR', message: 'bug' },
    });
    await expect(registry.answer(request('throws-string'))).resolves.toEqual({
      id: 7,
      error: { code: 'WS_ROOMS_CLIENT_HANDLER_ERROR', message: 'plain' },
    });
  });

  it('answers an event without handler with WS_ROOMS_NO_HANDLER (404)', async () => {
    await expect(new RequestHandlerRegistry().answer(request('none'))).resolves.toEqual({
      id: 7,
      error: { code: 'WS_ROOMS_NO_HANDLER', message: 'no handler for request "none"', status: 404 },
    });
  });

  it('shows at most 64 characters of an unknown event name, escaped, in the no-handler reply', async () => {
    const long = 'x'.repeat(100_000);
    const reply = (await new RequestHandlerRegistry().answer(request(long))) as {
      error: { message: string };
    };
    expect(reply.error.message).toBe(`no handler for request "${'x'.repeat(64)}"…`);
    const quoted = (await new RequestHandlerRegistry().answer(request('a"b\n'))) as {
      error: { message: string };
    };
    expect(quoted.error.message).toBe('no handler for request "a\\"b\\n"');
  });

  it('keeps one handler per event; the unsubscribe of a replaced one does nothing', () => {
    const registry = new RequestHandlerRegistry();
    const first = registry.set('e', () => 1);
    const second = registry.set('e', () => 2);
    first();
    expect(registry.has('e')).toBe(true);
    second();
    expect(registry.has('e')).toBe(false);
  });

  it('maps errors: a numeric code is not a code, details travel', () => {
    expect(toReplyError({ code: 42, message: 'm', details: { a: 1 } })).toEqual({
      code: 'WS_ROOMS_CLIENT_HANDLER_ERROR',
      message: 'm',
      status: undefined,
      details: { a: 1 },
    });
    expect(toReplyError(null).message).toBe('null');
  });
});
