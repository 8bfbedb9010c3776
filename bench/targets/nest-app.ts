/**
 * Starts a NestJS application the way a production deployment would: logger off, listening on
 * 127.0.0.1 and an OS-chosen port, then hands its HTTP server to the benchmark's IPC. The listen
 * backlog is large, so the kernel's cap (net.core.somaxconn) is the one that applies when many
 * clients connect at once (Node's default is 511).
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:net';
import { serveControl } from './control';

const LISTEN_BACKLOG = 65535;

export async function listenForBench(app: INestApplication, name: string): Promise<void> {
  // Nest passes the arguments after the port to the HTTP server's listen(port, host, backlog), but
  // its typing only names (port, hostname): called through a looser signature.
  const listen = app.listen as (this: INestApplication, ...args: unknown[]) => Promise<unknown>;
  await listen.call(app, 0, '127.0.0.1', LISTEN_BACKLOG);
  serveControl(app.getHttpServer() as Server, name);
}

/** Exits with the error on stderr, so the orchestrator can show why a target did not start. */
export function failStartup(name: string) {
  return (err: unknown): never => {
    console.error(`${name}: failed to start:`, err);
    process.exit(1);
  };
}
