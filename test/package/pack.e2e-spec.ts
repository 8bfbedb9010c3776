import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LIBRARY = join(ROOT, 'libs', 'ws-rooms');
const MANIFEST = JSON.parse(readFileSync(join(LIBRARY, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
};

/** What may ship: compiled code with its types and maps, the browser bundles, and the documents. */
const SHIPPABLE = [
  /^dist\/(?:[\w-]+\/)*[\w.-]+\.(?:js|js\.map|d\.ts|d\.ts\.map)$/,
  /^assets\/[\w.-]+\.(?:js|mjs)$/,
  /^(?:package\.json|README\.md|CHANGELOG\.md|LICENSE)$/,
];

/** What must never ship: sources, tests and the client's test doubles. */
const FORBIDDEN = [/^src\//, /\.spec\./, /\.e2e-spec\./, /(?:^|\/)testing\//, /fake-/, /tsconfig/];

function run(command: string, args: string[], cwd: string, env = process.env): string {
  const result = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    // npm is a .cmd script on Windows.
    shell: process.platform === 'win32' && command === 'npm',
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** Every file an `exports` entry points at (conditions flattened). */
function exportTargets(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry.replace(/^\.\//, '')];
  return Object.values(entry as Record<string, unknown>).flatMap(exportTargets);
}

/**
 * The package as npm publishes it, built from scratch into a temporary copy of libs/ws-rooms with the
 * real build configuration (tsconfig.lib.json, scripts/build-client.mjs): what the working tree's
 * dist/ happens to hold does not matter, and the working tree is not touched.
 */
describe('the ws-rooms package', () => {
  let work: string;
  let packageDir: string;
  let files: string[];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ws-rooms-pack-'));
    packageDir = join(work, 'ws-rooms');
    mkdirSync(packageDir);
    for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
      copyFileSync(join(LIBRARY, file), join(packageDir, file));
    }
    run(
      process.execPath,
      ['scripts/build-client.mjs', '--out-dir', join(packageDir, 'assets')],
      ROOT,
    );
    run(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        'libs/ws-rooms/tsconfig.lib.json',
        '--outDir',
        join(packageDir, 'dist'),
      ],
      ROOT,
    );
    const [report] = JSON.parse(run('npm', ['pack', '--dry-run', '--json'], packageDir)) as {
      files: { path: string }[];
    }[];
    files = report.files.map((file) => file.path.replace(/\\/g, '/')).sort();
  }, 180_000);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('holds only compiled code, types, maps, the browser bundles and the documents', () => {
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

  it('ships every compiled module with its declarations and both maps', () => {
    const modules = files.filter((file) => /^dist\/.+\.js$/.test(file));
    expect(modules.length).toBeGreaterThan(50);
    const incomplete = modules.filter((module) => {
      const base = module.slice(0, -'.js'.length);
      return [`${base}.js.map`, `${base}.d.ts`, `${base}.d.ts.map`].some(
        (companion) => !files.includes(companion),
      );
    });
    expect(incomplete).toEqual([]);
  });

  it('ships every file its exports map points at', () => {
    const targets = Object.values(MANIFEST.exports).flatMap(exportTargets);
    expect(targets.filter((target) => !files.includes(target))).toEqual([]);
  });

  it('resolves through its exports map once installed, for require and import alike', () => {
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    const [packed] = JSON.parse(
      run('npm', ['pack', '--json', '--pack-destination', tarballs], packageDir),
    ) as { filename: string }[];
    // Installed as npm would lay it out, with the monorepo's dependencies reachable through NODE_PATH
    // (honoured by require, hence by the CommonJS library, also when the app uses import).
    const consumer = join(work, 'consumer');
    const installed = join(consumer, 'node_modules', MANIFEST.name);
    mkdirSync(installed, { recursive: true });
    run(
      'tar',
      ['-xzf', join(tarballs, packed.filename), '-C', installed, '--strip-components=1'],
      work,
    );
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
});

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
