import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolClient, withTimeout } from '../support/protocol-client';
import {
  documentedFiles,
  documentedSnippets,
  extractSnippets,
  type Snippet,
  snippetTitle,
} from './markdown-snippets';
import {
  type CompiledSnippets,
  compileSnippets,
  copyIntoApp,
  createAppFolder,
  packedLibrary,
} from './snippet-project';

const ROOT = join(__dirname, '..', '..');

/**
 * Blocks marked `<!-- snippet: skip <reason> -->`, as `file:line: reason`. Only pseudo-code may be
 * skipped; listing them here keeps every exception visible in review.
 */
const EXPECTED_SKIPS: readonly string[] = [];

const snippets = documentedSnippets(ROOT);
const compiled = snippets.filter((snippet) => snippet.mode !== 'skip');
const runnable = snippets.filter((snippet) => snippet.mode === 'run');

/** Blocks that must fail, compiled with the others: proof that the check checks. */
const CANARIES = 'test/docs/canaries.md';
const canaries = extractSnippets(CANARIES, readFileSync(join(ROOT, CANARIES), 'utf8'));

/** `file:line:column TScode message` lines, for a readable failure. */
function describeProblems(problems: readonly { where: string; code: string; message: string }[]) {
  return problems.map((problem) => `${problem.where} ${problem.code} ${problem.message}`);
}

/**
 * Every TypeScript block of the READMEs and the docs, compiled against the packed library in an
 * application folder configured as `nest new` makes one (issue 13), and the README's first app run.
 */
describe('documentation snippets', () => {
  let app: string | undefined;
  let result: CompiledSnippets;

  beforeAll(() => {
    const tarball = packedLibrary(ROOT);
    app = createAppFolder(ROOT, tarball);
    result = compileSnippets(app, [...compiled, ...canaries]);
  }, 420_000);

  afterAll(() => {
    if (app !== undefined && process.env.WS_ROOMS_DOCS_KEEP === undefined) {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('reads both READMEs and every page of libs/ws-rooms/docs', () => {
    expect(documentedFiles(ROOT)).toEqual(
      expect.arrayContaining([
        'README.md',
        'libs/ws-rooms/README.md',
        'libs/ws-rooms/docs/guide.md',
        'libs/ws-rooms/docs/multi-node.md',
        'libs/ws-rooms/docs/observability.md',
        'libs/ws-rooms/docs/protocol.md',
      ]),
    );
    const withBlocks = new Set(snippets.map((snippet) => snippet.file));
    expect([...withBlocks]).toEqual(
      expect.arrayContaining([
        'README.md',
        'libs/ws-rooms/README.md',
        'libs/ws-rooms/docs/guide.md',
      ]),
    );
  });

  it('skips only the listed pseudo-code blocks', () => {
    const skipped = snippets
      .filter((snippet) => snippet.mode === 'skip')
      .map((snippet) => `${snippet.file}:${snippet.line}: ${snippet.reason}`);
    expect(skipped).toEqual(EXPECTED_SKIPS);
  });

  it('compiles with the application configuration itself (no error outside the snippets)', () => {
    expect(describeProblems(result.general)).toEqual([]);
  });

  it.each(compiled.map((snippet) => [snippetTitle(snippet), snippet] as const))(
    '%s compiles',
    (_title: string, snippet: Snippet) => {
      expect(describeProblems(result.problemsOf(snippet))).toEqual([]);
    },
  );

  it('reports a value import of an interface in decorator metadata and a floating promise', () => {
    const problems = describeProblems(result.problemsOf(canaries[0]));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^test\/docs\/canaries\.md:\d+:\d+ TS1272 /),
        expect.stringMatching(/ @typescript-eslint\/no-floating-promises /),
      ]),
    );
  });

  it('compiles a complete block without the fragment context', () => {
    expect(describeProblems(result.problemsOf(canaries[1]))).toEqual([
      expect.stringMatching(/ TS2304 Cannot find name 'rooms'\.$/),
    ]);
  });

  it('gives a fragment the context and nothing more', () => {
    expect(describeProblems(result.problemsOf(canaries[2]))).toEqual([
      expect.stringMatching(/ TS2304 Cannot find name 'lobby'\.$/),
    ]);
  });

  it("runs the README's first gateway and module", () => {
    expect(runnable.map((snippet) => `${snippet.file} ${snippet.fileName ?? ''}`)).toContain(
      'README.md app.module.ts',
    );
  });

  describe.each(runnable.map((snippet) => [snippetTitle(snippet), snippet] as const))(
    '%s',
    (_title: string, snippet: Snippet) => {
      let server: ChildProcess | undefined;
      const clients: ProtocolClient[] = [];

      afterEach(async () => {
        await Promise.all(clients.splice(0).map((client) => client.close()));
        if (server !== undefined) await stop(server);
        server = undefined;
      });

      it('starts a Nest app on 127.0.0.1:0 and answers a chat message over a real socket', async () => {
        const endpoint = /WsRoomsModule\.forRoot\(\s*'([^']+)'/.exec(snippet.code)?.[1];
        expect(endpoint).toBeDefined();
        const harness = copyIntoApp(app!, 'serve-app-module.mjs');
        const started = await start(harness, result.outputOf(snippet));
        server = started.child;
        const url = `ws://127.0.0.1:${started.port}${endpoint}`;
        const alice = await ProtocolClient.connect(url);
        clients.push(alice);
        const bob = await ProtocolClient.connect(url);
        clients.push(bob);

        alice.emit('chat', 'hello');

        // The sender's id, whatever the id generator of the packed library makes, then the text.
        const expected = /^From: [^\s:]+: hello$/;
        for (const client of [alice, bob]) {
          const message = await client.next((m) => m.event === 'chat', 5000);
          expect(message.type).toBe(0);
          expect(message.payload).toMatch(expected);
        }
      }, 60_000);
    },
  );
});

/** Starts the harness and waits for the port it prints (bounded); its stderr goes with a failure. */
async function start(
  harness: string,
  compiledModule: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [harness, compiledModule], {
    cwd: join(harness, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^\{"port":(\d+)\}$/m.exec(stdout);
      if (line !== null) resolve(Number(line[1]));
    });
    child.once('exit', (code) => reject(new Error(`the app exited (${code}):\n${stderr}`)));
    child.once('error', reject);
  });
  try {
    return { child, port: await withTimeout(port, 30_000, 'the app to listen') };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** SIGTERM (a graceful close), then SIGKILL if the process is still there after 10 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  try {
    await withTimeout(exited, 10_000, 'the app to exit');
  } catch {
    child.kill('SIGKILL');
    await withTimeout(exited, 5_000, 'the app to be killed');
  }
}
