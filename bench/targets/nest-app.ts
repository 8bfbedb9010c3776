/**
 * Starts a NestJS application the way a production deployment would: logger off, listening on
 * 127.0.0.1 and an OS-chosen port, then hands its HTTP server to the benchmark's IPC.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:net';
import { serveControl } from './control';

export async function listenForBench(app: INestApplication, name: string): Promise<void> {
  await app.listen(0, '127.0.0.1');
  serveControl(app.getHttpServer() as Server, name);
}

/** Exits with the error on stderr, so the orchestrator can show why a target did not start. */
export function failStartup(name: string) {
  return (err: unknown): never => {
    console.error(`${name}: failed to start:`, err);
    process.exit(1);
  };
}
