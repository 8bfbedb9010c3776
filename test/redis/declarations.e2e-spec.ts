/**
 * `ioredis` is an optional peer: the package's declarations must compile without it, with
 * `skipLibCheck: false` (issue 15 item 5). Emits the library's declarations, then type-checks a
 * small consumer against them in a directory where every other peer resolves and ioredis does not.
 */
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const tsc = join(root, 'node_modules/.bin/tsc');
const modules = join(root, 'node_modules');

/** Runs tsc; resolves with its exit code and output (never rejects: the caller asserts). */
function runTsc(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(tsc, args, { cwd: root, timeout: 170_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

function declarationFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return declarationFiles(path);
    return path.endsWith('.d.ts') ? [path] : [];
  });
}

describe('declarations without the optional peer ioredis', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'wsr-declarations-'));
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('no emitted declaration imports ioredis, and a consumer compiles with skipLibCheck false', async () => {
    const dts = join(work, 'dts');
    // The emit runs even when unrelated files have type errors: the consumer check below decides.
    await runTsc([
      '-p',
      'libs/ws-rooms/tsconfig.lib.json',
      '--outDir',
      dts,
      '--declaration',
      '--emitDeclarationOnly',
      '--declarationMap',
      'false',
    ]);
    const files = declarationFiles(dts);
    expect(files.length).toBeGreaterThan(10);
    const importing = files.filter((file) => /['"]ioredis['"]/.test(readFileSync(file, 'utf8')));
    expect(importing).toEqual([]);

    const consumer = join(work, 'consumer');
    rmSync(consumer, { recursive: true, force: true });
    mkdirSync(consumer);
    writeFileSync(
      join(consumer, 'consumer.ts'),
      [
        "import { RedisRoomStore, type RedisRoomStoreOptions, WsRoomsModule } from 'ws-rooms';",
        'const options: RedisRoomStoreOptions = {',
        "  url: 'redis://127.0.0.1:6379',",
        "  keyPrefix: 'app',",
        '  redisOptions: { db: 1, retryStrategy: (times) => Math.min(times * 50, 2000) },',
        '};',
        'export const store = new RedisRoomStore(options);',
        "export const module = WsRoomsModule.forRoot({ endpoint: '/ws', store });",
      ].join('\n'),
    );
    // Every peer but ioredis resolves from the repository's node_modules; the consumer's
    // directory is outside it, so nothing finds ioredis by walking up.
    const peer = (name: string) => [join(modules, name)];
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'commonjs',
          moduleResolution: 'node',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          experimentalDecorators: true,
          esModuleInterop: true,
          baseUrl: '.',
          typeRoots: [join(modules, '@types')],
          types: ['node'],
          paths: {
            'ws-rooms': [join(dts, 'index.d.ts')],
            '@nestjs/*': [join(modules, '@nestjs/*')],
            rxjs: peer('rxjs'),
            'rxjs/*': [join(modules, 'rxjs/*')],
            'reflect-metadata': peer('reflect-metadata'),
            ws: peer('@types/ws'),
            'prom-client': peer('prom-client'),
          },
        },
        files: ['consumer.ts'],
      }),
    );
    const checked = await runTsc(['-p', join(consumer, 'tsconfig.json')]);
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);
  }, 180_000);
});
