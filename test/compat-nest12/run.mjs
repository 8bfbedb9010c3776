// Runs the NestJS 12 compatibility suite: builds and packs ws-rooms with the root scripts, installs the
// tarball with NestJS 12 from the registry into this folder, and runs both apps with `node --test`.
// Exits non-zero when any step fails.
//
// Usage: node test/compat-nest12/run.mjs [--no-build]   (--no-build reuses artifacts/ws-rooms-*.tgz)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const build = !process.argv.includes('--no-build');

function run(title, command, args, cwd) {
  const started = Date.now();
  console.log(`\n[compat-nest12] ${title}`);
  const result = spawnSync(command, args, {
    cwd,
    stdio: 'inherit',
    // npm is a .cmd script on Windows.
    shell: process.platform === 'win32' && command === 'npm',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`[compat-nest12] ${title}: failed after ${seconds} s`);
    process.exit(result.status ?? 1);
  }
  console.log(`[compat-nest12] ${title}: done in ${seconds} s`);
}

function fail(message) {
  console.error(`[compat-nest12] ${message}`);
  process.exit(1);
}

// NestJS 12 is ESM-only and ws-rooms is CommonJS, so ws-rooms loads Nest through require(esm):
// on by default from Node 20.19 and 22.12, behind a flag from 20.17 and 22.0.
const nodeFlags = [];
if (!process.features.require_module) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if ((major === 20 && minor < 17) || major < 20) {
    fail(
      `Node ${process.versions.node} cannot require() ES modules; NestJS 12 needs Node >= 20.19`,
    );
  }
  nodeFlags.push('--experimental-require-module');
}

const { version } = JSON.parse(readFileSync(join(root, 'libs/ws-rooms/package.json'), 'utf8'));
const tarball = join(root, 'artifacts', `ws-rooms-${version}.tgz`);
const manifest = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const expectedSpec = `file:${relative(here, tarball).split('\\').join('/')}`;
if (manifest.dependencies['ws-rooms'] !== expectedSpec) {
  fail(`package.json must depend on "ws-rooms": "${expectedSpec}" (the version was bumped?)`);
}

if (build) run('build and pack ws-rooms', 'npm', ['run', '--silent', 'pack:lib'], root);
if (!existsSync(tarball)) fail(`${relative(root, tarball)} is missing; run "npm run pack:lib"`);

// npm keeps an installed file: dependency whose version did not change: force a fresh copy.
rmSync(join(here, 'node_modules', 'ws-rooms'), { recursive: true, force: true });
run(
  'install NestJS 12 and the packed ws-rooms',
  'npm',
  ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
  here,
);

const nest = JSON.parse(
  readFileSync(join(here, 'node_modules/@nestjs/core/package.json'), 'utf8'),
).version;
run(
  `node --test on NestJS ${nest}, Node ${process.versions.node}`,
  process.execPath,
  [...nodeFlags, '--test', '--test-reporter=spec', 'esm.test.mjs', 'cjs.test.mjs'],
  here,
);
