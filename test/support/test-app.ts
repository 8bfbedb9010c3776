import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';

/** The HTTP platforms the e2e suites run on. */
export type Platform = 'express' | 'fastify';

/** Every platform, for `describe.each(PLATFORMS)`: a suite written once runs on each. */
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

/** A Nest app listening on 127.0.0.1 with an OS-chosen port. */
export interface RunningApp {
  readonly app: INestApplication;
  readonly platform: Platform;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:<port><path>` */
  wsUrl(path?: string): string;
  /** True once {@link RunningApp.close} was called. */
  readonly closed: boolean;
  close(): Promise<void>;
}

/** How {@link startAppOn} starts an app. */
export interface StartOptions {
  /** Runs before `listen`: `useWebSocketAdapter`, global enhancers... */
  readonly configure?: (app: INestApplication) => void | Promise<void>;
  /** 0 (the default) lets the OS choose; a number listens there again (a restart). */
  readonly port?: number;
}

/** Compiles a fixture module and listens on port 0 (never a fixed port), on Express. */
export function startApp(
  metadata: ModuleMetadata,
  configure?: (app: INestApplication) => void | Promise<void>,
): Promise<RunningApp> {
  return startAppOn('express', metadata, { configure });
}

/** Compiles a fixture module and listens on 127.0.0.1 on the given platform. */
export async function startAppOn(
  platform: Platform,
  metadata: ModuleMetadata,
  options: StartOptions = {},
): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  // Express is Nest's default; Fastify is given as an adapter (a new one per app: it owns a server).
  const httpAdapter: AbstractHttpAdapter | undefined =
    platform === 'fastify' ? new FastifyAdapter() : undefined;
  const app =
    httpAdapter === undefined
      ? moduleRef.createNestApplication({ logger: false })
      : moduleRef.createNestApplication(httpAdapter, { logger: false });
  try {
    await options.configure?.(app);
    await app.listen(options.port ?? 0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closed = false;
  return {
    app,
    platform,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: (path = '/ws') => `ws://127.0.0.1:${port}${path}`,
    get closed() {
      return closed;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
