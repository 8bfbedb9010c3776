import { FastifyAdapter } from '@nestjs/platform-fastify';
import { serveClientScriptOnce } from './client-script-routes';

describe('serveClientScriptOnce', () => {
  it('registers one route per adapter and path, which Fastify requires (no duplicated route)', async () => {
    const adapter = new FastifyAdapter();
    const other = new FastifyAdapter();
    try {
      expect(serveClientScriptOnce(adapter, '/iris-ws.js')).toBe(true);
      expect(serveClientScriptOnce(adapter, '/iris-ws.js')).toBe(false);
      expect(serveClientScriptOnce(adapter, '/static/client.js')).toBe(true);
      // Another app's adapter has routes of its own.
      expect(serveClientScriptOnce(other, '/iris-ws.js')).toBe(true);
      const fastify = adapter.getInstance();
      for (const url of ['/iris-ws.js', '/static/client.js']) {
        const response = await fastify.inject({ method: 'GET', url });
        expect([response.statusCode, response.headers['content-type']]).toEqual([
          200,
          'application/javascript; charset=utf-8',
        ]);
      }
    } finally {
      await adapter.close();
      await other.close();
    }
  });
});
