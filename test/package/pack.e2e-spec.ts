import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LIBRARY = join(ROOT, 'libs', 'ws-rooms');
const MANIFEST = JSON.parse(readFileSync(join(LIBRARY, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
};
const TARBALL = `${MANIFEST.name}-${MANIFEST.version}.tgz`;

/** What may ship: compiled code with its types, the browser bundles, and the documents. */
const SHIPPABLE = [
  /^dist\/(?:[\w-]+\/)*[\w.-]+\.(?:js|d\.ts)$/,
  /^assets\/[\w.-]+\.(?:js|mjs)$/,
  /^(?:package\.json|README\.md|CHANGELOG\.md|LICENSE)$/,
];

/**
 * What must never ship: sources, tests, the client's test doubles, and source maps (they would
 * point at sources the package does not hold).
 */
const FORBIDDEN = [
  /^src\//,
  /\.spec\./,
  /\.e2e-spec\./,
  /(?:^|\/)client\/testing\//,
  /tsconfig/,
  /\.map$/,
];

/** The files of a fresh checkout that `npm run pack:lib` reads (no dist/, assets/ or artifacts/). */
const CHECKOUT = [
  'package.json',
  'tsconfig.json',
  'scripts/build-client.mjs',
  'libs/ws-rooms/package.json',
  'libs/ws-rooms/tsconfig.lib.json',
  'libs/ws-rooms/README.md',
  'libs/ws-rooms/CHANGELOG.md',
  'libs/ws-rooms/LICENSE',
  'libs/ws-rooms/src',
];

/**
 * The packages a NestJS app has when it installs ws-rooms without its optional peers: the required
 * peers, `ws` (a dependency) and the types for Node and `ws`. Neither `ioredis` nor `prom-client`.
 */
const CONSUMER_PACKAGES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/websockets',
  'reflect-metadata',
  'rxjs',
  'ws',
  '@types/ws',
  '@types/node',
];

function run(command: string, args: string[], cwd: string, env = process.env): string {
  const result = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    // npm is a .cmd script on Windows.
    shell: process.platform === 'win32' && command === 'npm',
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** Every file an `exports` entry points at (conditions flattened). */
function exportTargets(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry.replace(/^\.\//, '')];
  return Object.values(entry as Record<string, unknown>).flatMap(exportTargets);
}

/** Unpacks the tarball into `node_modules/<name>` of `consumer`, as npm would lay it out. */
function install(tarball: string, consumer: string): string {
  const installed = join(consumer, 'node_modules', MANIFEST.name);
  mkdirSync(installed, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], consumer);
  return installed;
}

/**
 * The package as npm publishes it, made by the real `npm run pack:lib` in a copy of a fresh checkout
 * (the root's node_modules linked in): what the working tree's dist/, assets/ or artifacts/ happen
 * to hold does not matter, and the working tree is not touched.
 */
describe('the ws-rooms package', () => {
  let work: string;
  let tarball: string;
  let files: string[];
  let unpacked: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ws-rooms-pack-'));
    const checkout = join(work, 'checkout');
    for (const path of CHECKOUT) {
      mkdirSync(dirname(join(checkout, path)), { recursive: true });
      cpSync(join(ROOT, path), join(checkout, path), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'junction');
    run('npm', ['run', '--silent', 'pack:lib'], checkout);
    tarball = join(checkout, 'artifacts', TARBALL);
    files = run('tar', ['-tzf', tarball], work)
      .split('\n')
      .filter((line) => line !== '' && !line.endsWith('/'))
      .map((line) => line.replace(/^package\//, ''))
      .sort();
    unpacked = install(tarball, join(work, 'unpacked'));
  }, 240_000);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('is made by npm run pack:lib from a fresh checkout, into artifacts/, which git ignores', () => {
    expect(statSync(tarball).size).toBeGreaterThan(0);
    const ignored = spawnSync('git', ['check-ignore', '--quiet', `artifacts/${TARBALL}`], {
      cwd: ROOT,
    });
    expect(ignored.status).toBe(0);
  });

  it('holds only compiled code, types, the browser bundles and the documents', () => {
    expect(files.filter((file) => !SHIPPABLE.some((pattern) => pattern.test(file)))).toEqual([]);
    expect(files.filter((file) => FORBIDDEN.some((pattern) => pattern.test(file)))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'CHANGELOG.md',
        'LICENSE',
        'assets/iris-ws.js',
        'assets/ws-rooms-client.mjs',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/client/index.js',
        'dist/client/index.d.ts',
      ]),
    );
  });

  it('ships every compiled module with its declarations, and no file refers to a source map', () => {
    const modules = files.filter((file) => /^dist\/.+\.js$/.test(file));
    expect(modules.length).toBeGreaterThan(50);
    expect(modules.filter((module) => !files.includes(`${module.slice(0, -3)}.d.ts`))).toEqual([]);
    const mapped = files.filter((file) =>
      readFileSync(join(unpacked, file), 'utf8').includes('sourceMappingURL'),
    );
    expect(mapped).toEqual([]);
  });

  it('ships every file its exports map points at', () => {
    const targets = Object.values(MANIFEST.exports).flatMap(exportTargets);
    expect(targets.filter((target) => !files.includes(target))).toEqual([]);
  });

  it('resolves through its exports map once installed, for require and import alike', () => {
    // The monorepo's dependencies are reachable through NODE_PATH (honoured by require, hence by the
    // CommonJS library, also when the app uses import).
    const consumer = join(work, 'consumer');
    install(tarball, consumer);
    writeFileSync(join(consumer, 'probe.mjs'), PROBE);
    const output = run(process.execPath, ['probe.mjs'], consumer, {
      ...process.env,
      NODE_PATH: join(ROOT, 'node_modules'),
    });
    expect(JSON.parse(output)).toEqual({
      main: 'node_modules/ws-rooms/dist/index.js',
      required: { WsRoomsModule: 'function', RoomsService: 'function', RedisRoomStore: 'function' },
      imported: { WsRoomsModule: 'function', OnEvent: 'function', WsRoomsErrorCode: 'object' },
      clientRequire: 'node_modules/ws-rooms/dist/client/index.js',
      clientImport: 'node_modules/ws-rooms/assets/ws-rooms-client.mjs',
      clientClasses: ['function', 'function'],
      browserScript: 'node_modules/ws-rooms/assets/iris-ws.js',
      version: MANIFEST.version,
      deepImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      servedScriptExists: true,
    });
  });

  it('type-checks in an app with skipLibCheck off and neither ioredis nor prom-client installed', () => {
    const consumer = join(work, 'typescript-app');
    install(tarball, consumer);
    for (const name of CONSUMER_PACKAGES) {
      mkdirSync(dirname(join(consumer, 'node_modules', name)), { recursive: true });
      symlinkSync(
        join(ROOT, 'node_modules', name),
        join(consumer, 'node_modules', name),
        'junction',
      );
    }
    for (const optional of ['ioredis', 'prom-client']) {
      expect(() => require.resolve(optional, { paths: [consumer] })).toThrow();
    }
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    writeFileSync(join(consumer, 'app.module.ts'), CONSUMER_APP);
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'],
      { cwd: consumer, encoding: 'utf8' },
    );
    // On failure the diagnostics name the declaration file and the missing module.
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});

/** A NestJS app's compiler options (as `nest new` writes them), with `skipLibCheck` off. */
const CONSUMER_TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2023',
    strict: true,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  },
  files: ['app.module.ts'],
};

/** Uses the server, its metrics and Redis options' types, and the Node client with `ws`. */
const CONSUMER_APP = `
import { Module } from '@nestjs/common';
import WebSocket from 'ws';
import {
  type MetricsOptions,
  type RedisRoomStoreOptions,
  RedisRoomStore,
  WsRoomsModule,
} from 'ws-rooms';
import { WsRoomsClient } from 'ws-rooms/client';

const metrics: MetricsOptions = { path: '/metrics', prefix: 'chat_' };

@Module({ imports: [WsRoomsModule.forRoot({ endpoint: '/ws', metrics })] })
export class AppModule {}

export function redisStore(options: RedisRoomStoreOptions): RedisRoomStore {
  return new RedisRoomStore(options);
}

export function connect(url: string): WsRoomsClient {
  return new WsRoomsClient(url, { WebSocket });
}
`;

/** Runs in the consumer folder under plain Node: reports what each specifier resolves to. */
const PROBE = `
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const local = (file) => relative(here, file).split('\\\\').join('/');
const types = (module, names) => Object.fromEntries(names.map((name) => [name, typeof module[name]]));

const required = require('ws-rooms');
const imported = await import('ws-rooms');
const clientModule = await import('ws-rooms/client');
let deepImport = 'resolved';
try {
  require.resolve('ws-rooms/dist/index.js');
} catch (error) {
  deepImport = error.code;
}
const main = require.resolve('ws-rooms');
const { CLIENT_SCRIPT_FILE } = require(join(dirname(main), 'http', 'client-script.js'));
console.log(
  JSON.stringify({
    main: local(main),
    required: types(required, ['WsRoomsModule', 'RoomsService', 'RedisRoomStore']),
    imported: types(imported, ['WsRoomsModule', 'OnEvent', 'WsRoomsErrorCode']),
    clientRequire: local(require.resolve('ws-rooms/client')),
    clientImport: local(fileURLToPath(import.meta.resolve('ws-rooms/client'))),
    clientClasses: [typeof require('ws-rooms/client').WsRoomsClient, typeof clientModule.Ws],
    browserScript: local(require.resolve('ws-rooms/iris-ws.js')),
    version: require('ws-rooms/package.json').version,
    deepImport,
    servedScriptExists: existsSync(CLIENT_SCRIPT_FILE),
  }),
);
`;
