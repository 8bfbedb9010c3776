import type { IncomingMessage } from 'node:http';
import type { AbstractHttpAdapter } from '@nestjs/core';

/** What the observability routes need from the app's HTTP adapter (Express or Fastify). */
export type RouteAdapter = Pick<AbstractHttpAdapter, 'get' | 'setHeader' | 'reply'>;

/**
 * Answers a request through the adapter with a complete text body. The headers are set before the
 * body so that the adapter does not pick a content type of its own.
 */
export function replyText(
  adapter: RouteAdapter,
  response: unknown,
  status: number,
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  adapter.setHeader(response, 'Content-Type', contentType);
  adapter.setHeader(response, 'X-Content-Type-Options', 'nosniff');
  for (const [name, value] of Object.entries(headers)) adapter.setHeader(response, name, value);
  adapter.reply(response, body, status);
}

/** The Node request behind an adapter's request object (Express extends it, Fastify wraps it as `raw`). */
export function incomingMessageOf(request: unknown): IncomingMessage {
  const raw = (request as { raw?: unknown }).raw;
  return (raw ?? request) as IncomingMessage;
}
