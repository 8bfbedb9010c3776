import type { IncomingMessage } from 'node:http';
import { incomingMessageOf, replyText, type RouteAdapter } from './http-response';

describe('replyText', () => {
  it('sets the headers before the body, nosniff included', () => {
    const calls: string[] = [];
    const adapter = {
      get: () => undefined,
      setHeader: (_response: unknown, name: string, value: string) =>
        calls.push(`${name}: ${value}`),
      reply: (_response: unknown, body: string, status: number) => calls.push(`${status} ${body}`),
    } as unknown as RouteAdapter;
    replyText(adapter, {}, 403, 'text/plain; charset=utf-8', 'Forbidden', {
      'Cache-Control': 'no-store',
    });
    expect(calls).toEqual([
      'Content-Type: text/plain; charset=utf-8',
      'X-Content-Type-Options: nosniff',
      'Cache-Control: no-store',
      '403 Forbidden',
    ]);
  });
});

describe('incomingMessageOf', () => {
  it('finds the Node request behind Express (the request itself) and Fastify (raw)', () => {
    const raw = { headers: {} } as IncomingMessage;
    expect(incomingMessageOf(raw)).toBe(raw);
    expect(incomingMessageOf({ raw, headers: {} })).toBe(raw);
  });
});
