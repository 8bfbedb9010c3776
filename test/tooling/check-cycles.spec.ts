import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'check-cycles.mjs');

/** What one run of the script printed and returned. */
interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `scripts/check-cycles.mjs` (run by `npm run lint`) on small trees of sources written for each
 * case: it must fail with the circle's path when there is one, and pass when there is none.
 */
describe('scripts/check-cycles.mjs', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ws-rooms-cycles-'));
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  /** Writes `files` (path -> source) into a fresh folder and runs the script on it. */
  function check(name: string, files: Record<string, string>, ...flags: string[]): Run {
    const root = join(work, name);
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), source);
    }
    const result = spawnSync(process.execPath, [SCRIPT, ...flags, root], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** The files of each reported circle, by base name, in the order printed. */
  function circles(run: Run): string[][] {
    return run.stderr
      .split(/\n(?=\s{2}\S)/)
      .slice(1)
      .map((block) => [...block.matchAll(/([\w.-]+)\.ts/g)].map((match) => match[1]));
  }

  it('fails on a circle of runtime imports and prints its path', () => {
    const run = check('runtime', {
      'a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'b.ts': "import { c } from './parts/c';\nexport const b = () => c;\n",
      'parts/c.ts': "export { a as c } from '../a';\n",
      'leaf.ts': "import { a } from './a';\nexport const leaf = a;\n",
    });
    expect(run.status).toBe(1);
    expect(circles(run)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('passes an acyclic tree, resolving folders to their index', () => {
    const run = check('acyclic', {
      'a.ts': "import { b } from './b';\nimport { d } from './d';\nexport const a = b + d;\n",
      'b.ts': "import { d } from './d';\nexport const b = d;\n",
      'd/index.ts': "export const d = 1;\nimport('./lazy');\n",
      'd/lazy.ts': 'export const lazy = 1;\n',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('follows a folder index, dynamic import() and import = require()', () => {
    const run = check('index-and-dynamic', {
      'a.ts': "import { d } from './d';\nexport const a = d;\n",
      'd/index.ts': "export const d = 1;\nexport const load = () => import('./e');\n",
      'd/e.ts': "import b = require('../b');\nexport const e = b;\n",
      'b.ts': "import { a } from './a';\nexport = a;\n",
    });
    expect(run.status).toBe(1);
    expect(circles(run)).toEqual([['a', 'index', 'e', 'b', 'a']]);
  });

  it('leaves type-only imports out by default and counts them with --types', () => {
    const files = {
      'host.ts': "import type { Guest } from './guest';\nexport interface Host { g: Guest }\n",
      'guest.ts': "import { type Host } from './host';\nexport interface Guest { h: Host }\n",
    };
    expect(check('types-default', files).status).toBe(0);
    const withTypes = check('types-counted', files, '--types');
    expect(withTypes.status).toBe(1);
    expect(circles(withTypes)).toEqual([['guest', 'host', 'guest']]);
  });

  it('counts an import that brings a value beside a type as a runtime import', () => {
    const run = check('mixed', {
      'a.ts': "import { type B, b } from './b';\nexport const a: B = b;\n",
      'b.ts':
        "export type { A } from './c';\nimport { a } from './a';\nexport type B = 1;\nexport const b = a;\n",
      'c.ts': 'export type A = 1;\n',
    });
    expect(run.status).toBe(1);
    expect(circles(run)).toEqual([['a', 'b', 'a']]);
  });

  it('ignores specs, which nothing imports', () => {
    const run = check('specs', {
      'a.ts': 'export const a = 1;\n',
      'a.spec.ts': "import { a } from './a';\nimport './a.spec';\nexport const spec = a;\n",
    });
    expect(run.status).toBe(0);
  });

  it('refuses an unknown flag or a missing directory with status 2', () => {
    expect(spawnSync(process.execPath, [SCRIPT, '--nope'], { encoding: 'utf8' }).status).toBe(2);
    const missing = spawnSync(process.execPath, [SCRIPT, join(work, 'absent')], {
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
  });
});
