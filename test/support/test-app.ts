import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';

/** A Nest app listening on 127.0.0.1 with an OS-chosen port. */
export interface RunningApp {
  readonly app: INestApplication;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:<port><path>` */
  wsUrl(path?: string): string;
  close(): Promise<void>;
}

/** Compiles a fixture module and listens on port 0 (never a fixed port). */
export async function startApp(
  metadata: ModuleMetadata,
  configure?: (app: INestApplication) => void | Promise<void>,
): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await configure?.(app);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closed = false;
  return {
    app,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: (path = '/ws') => `ws://127.0.0.1:${port}${path}`,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
