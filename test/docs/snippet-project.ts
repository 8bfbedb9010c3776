import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Linter } from 'eslint';
import * as ts from 'typescript';
import tseslint from 'typescript-eslint';
import { FRAGMENT_CONTEXT, FRAGMENT_IMPORT_SOURCES } from './fragment-context';
import type { Snippet } from './markdown-snippets';

/** One problem the compiler or the linter found in a snippet, placed on its markdown line. */
export interface SnippetProblem {
  /** `file.md:line:column`. */
  readonly where: string;
  /** `TS1272` or the lint rule's name. */
  readonly code: string;
  readonly message: string;
}

/**
 * The compiler options of an application as `nest new` creates one (`strict` on, decorators with
 * their metadata, `isolatedModules`, `skipLibCheck`), in its two module settings: `commonjs`, with
 * the classic resolution that ignores a package's `exports` map (NestJS 10 and many existing apps),
 * and `nodenext`, which reads it (the NestJS 11 template). Both emit CommonJS here.
 * `moduleDetection: force` keeps two snippets without imports from sharing one global scope.
 */
const COMMON_COMPILER_OPTIONS = {
  target: 'ES2023',
  strict: true,
  isolatedModules: true,
  emitDecoratorMetadata: true,
  experimentalDecorators: true,
  esModuleInterop: true,
  allowSyntheticDefaultImports: true,
  skipLibCheck: true,
  forceConsistentCasingInFileNames: true,
  moduleDetection: 'force',
  sourceMap: false,
  declaration: false,
  rootDir: '.',
  outDir: 'out',
} as const;

/** The module settings every snippet is compiled under; JavaScript is emitted from the first. */
export const MODULE_SETTINGS = {
  commonjs: { module: 'commonjs' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext', resolvePackageJsonExports: true },
} as const;

type ModuleSetting = keyof typeof MODULE_SETTINGS;

function compilerOptions(setting: ModuleSetting): Record<string, unknown> {
  return { ...COMMON_COMPILER_OPTIONS, ...MODULE_SETTINGS[setting] };
}

/** The lint rule a Nest app turns on that the snippets must not trip. */
const LINT_RULES = { '@typescript-eslint/no-floating-promises': 'error' } as const;

function run(command: string, args: readonly string[], cwd: string, timeout: number): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    // npm is a .cmd script on Windows.
    shell: process.platform === 'win32' && command === 'npm',
  });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/**
 * The packed library: `npm run pack:lib` (which writes `artifacts/ws-rooms-<version>.tgz`), or the
 * tarball named by `WS_ROOMS_DOCS_TARBALL` when set, to check the documentation against a given build.
 */
export function packedLibrary(root: string): string {
  const given = process.env.WS_ROOMS_DOCS_TARBALL;
  if (given !== undefined && given !== '') return resolve(root, given);
  // `npm pack --pack-destination` does not create the folder.
  mkdirSync(join(root, 'artifacts'), { recursive: true });
  run('npm', ['run', '--silent', 'pack:lib'], root, 300_000);
  const { version } = JSON.parse(
    readFileSync(join(root, 'libs', 'ws-rooms', 'package.json'), 'utf8'),
  ) as { version: string };
  const tarball = join(root, 'artifacts', `ws-rooms-${version}.tgz`);
  if (!existsSync(tarball)) throw new Error(`npm run pack:lib did not write ${tarball}`);
  return tarball;
}

/**
 * A temporary application folder: `node_modules/ws-rooms` unpacked from the tarball, every other
 * package a link into the repository's `node_modules` (the peers: Nest, ws, rxjs, TypeScript), so
 * that nothing is downloaded.
 */
export function createAppFolder(root: string, tarball: string): string {
  const app = mkdtempSync(join(tmpdir(), 'ws-rooms-docs-'));
  const modules = join(app, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === 'ws-rooms' || entry.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', entry), join(modules, entry), 'junction');
  }
  const unpacked = join(app, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked], app, 60_000);
  renameSync(join(unpacked, 'package'), join(modules, 'ws-rooms'));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'docs-snippets', private: true, version: '0.0.0' }, null, 2),
  );
  return app;
}

/** Where a snippet lives in the application folder: one folder per markdown file. */
export function snippetPath(snippet: Snippet, taken: Set<string>): string {
  const folder = snippet.mode === 'fragment' ? 'fragments' : 'snippets';
  const markdown = snippet.file.replace(/\.md$/, '').replace(/[^\w]+/g, '-');
  let name = snippet.fileName ?? `L${snippet.line}.ts`;
  if (taken.has(`${markdown}/${name}`)) name = `L${snippet.line}-${name}`;
  taken.add(`${markdown}/${name}`);
  return join(folder, markdown, name);
}

/** What the compiler saw of one snippet: its file and the lines added above the block's text. */
interface PlacedSnippet {
  readonly snippet: Snippet;
  readonly path: string;
  readonly addedLines: number;
}

/** The compiled snippets: problems per snippet, and where each one's JavaScript was written. */
export interface CompiledSnippets {
  problemsOf(snippet: Snippet): readonly SnippetProblem[];
  /** The emitted JavaScript file of a complete or runnable snippet. */
  outputOf(snippet: Snippet): string;
  /** Problems that belong to no snippet (options, the context): they fail every test. */
  readonly general: readonly SnippetProblem[];
}

/**
 * Writes the snippets into the application folder and compiles them with the repository's
 * TypeScript under each module setting, in two programs: complete files alone (nothing they do not
 * import exists for them), and fragments with the fragment context. Then lints them all with the
 * rule Nest apps turn on. A problem found under one setting only names that setting.
 */
export function compileSnippets(app: string, snippets: readonly Snippet[]): CompiledSnippets {
  const taken = new Set<string>();
  const { table: exportsTable, host: exportsHost } = exportedNames(app);
  const placed: PlacedSnippet[] = snippets
    .filter((snippet) => snippet.mode !== 'skip')
    .map((snippet) => {
      const path = snippetPath(snippet, taken);
      const file =
        snippet.mode === 'fragment'
          ? wrapFragment(snippet.code, exportsTable)
          : { before: [], code: snippet.code, after: [] };
      mkdirSync(dirname(join(app, path)), { recursive: true });
      writeFileSync(join(app, path), [...file.before, file.code, ...file.after, ''].join('\n'));
      return { snippet, path, addedLines: file.before.length };
    });
  writeFileSync(join(app, 'fragment-context.d.ts'), FRAGMENT_CONTEXT);

  const byFile = new Map(placed.map((entry) => [resolve(app, entry.path), entry]));
  /** Problems by snippet, then by `where code message`, with the settings that saw them. */
  const found = new Map<Snippet | null, Map<string, { problem: SnippetProblem; seen: string[] }>>();
  const record = (
    fileName: string | undefined,
    line: number,
    column: number,
    code: string,
    message: string,
    seenBy: string,
  ): void => {
    const entry = fileName === undefined ? undefined : byFile.get(resolve(fileName));
    const where =
      entry === undefined
        ? fileName === undefined
          ? '(options)'
          : relative(app, fileName)
        : `${entry.snippet.file}:${entry.snippet.line + line - entry.addedLines}:${column}`;
    const problems = found.get(entry?.snippet ?? null) ?? new Map();
    found.set(entry?.snippet ?? null, problems);
    const key = `${where} ${code} ${message}`;
    const known = problems.get(key) ?? { problem: { where, code, message }, seen: [] };
    known.seen.push(seenBy);
    problems.set(key, known);
  };

  const settings = Object.keys(MODULE_SETTINGS) as ModuleSetting[];
  /** The programs with the types as the NestJS 11 template resolves them, for the linter. */
  const typed: ts.Program[] = [];
  for (const setting of settings) {
    // The exports probe parsed the libraries' declarations as nodenext resolves them already.
    const host = setting === 'nodenext' ? exportsHost : cachingHost();
    for (const fragments of [false, true]) {
      const config = tsconfigName(setting, fragments);
      writeFileSync(
        join(app, config),
        JSON.stringify(
          {
            compilerOptions: compilerOptions(setting),
            include: fragments
              ? ['fragments/**/*.ts', 'fragment-context.d.ts']
              : ['snippets/**/*.ts'],
          },
          null,
          2,
        ),
      );
      if (!placed.some((entry) => (entry.snippet.mode === 'fragment') === fragments)) continue;
      const program = createProgram(app, config, host);
      for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
        const position =
          diagnostic.file !== undefined && diagnostic.start !== undefined
            ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
            : { line: 0, character: 0 };
        record(
          diagnostic.file?.fileName,
          position.line + 1,
          position.character + 1,
          `TS${diagnostic.code}`,
          ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '),
          setting,
        );
      }
      if (setting === settings[0] && !fragments) program.emit();
      if (setting === 'nodenext') typed.push(program);
    }
  }
  for (const message of lint(app, placed, typed)) {
    record(
      message.filePath,
      message.line,
      message.column,
      message.ruleId,
      message.message,
      'eslint',
    );
  }

  const listed = (snippet: Snippet | null): SnippetProblem[] =>
    [...(found.get(snippet)?.values() ?? [])].map(({ problem, seen }) => ({
      ...problem,
      message:
        seen.length === settings.length
          ? problem.message
          : `${problem.message} [${seen.join(', ')}]`,
    }));
  return {
    problemsOf: (snippet) => listed(snippet),
    outputOf: (snippet) => {
      const entry = placed.find((candidate) => candidate.snippet === snippet);
      if (entry === undefined || entry.snippet.mode === 'fragment') {
        throw new Error(`${snippet.file}:${snippet.line} is not compiled to JavaScript`);
      }
      return join(app, 'out', entry.path.replace(/\.ts$/, '.js'));
    },
    general: listed(null),
  };
}

function tsconfigName(setting: ModuleSetting, fragments: boolean): string {
  return `tsconfig.${setting}${fragments ? '.fragments' : ''}.json`;
}

function createProgram(app: string, config: string, host: ts.CompilerHost): ts.Program {
  const read = ts.readConfigFile(join(app, config), ts.sys.readFile);
  if (read.error !== undefined) {
    throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, app, undefined, config);
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    configFileParsingDiagnostics: parsed.errors,
    host,
  });
}

/**
 * A compiler host that parses each file once for all the programs of one module setting: the
 * libraries' declarations (Node, Nest, ws-rooms) are most of the work, and they do not change.
 */
function cachingHost(): ts.CompilerHost {
  const host = ts.createCompilerHost({});
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    const key = `${fileName}|${JSON.stringify(languageVersionOrOptions)}`;
    if (!parsed.has(key)) {
      parsed.set(key, getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate));
    }
    return parsed.get(key);
  };
  return host;
}

/** For every name the packages of FRAGMENT_IMPORT_SOURCES export: where from, and whether it is a value. */
type ExportsTable = ReadonlyMap<string, { readonly from: string; readonly value: boolean }>;

function exportedNames(app: string): { table: ExportsTable; host: ts.CompilerHost } {
  const probe = join(app, 'exports-probe.ts');
  writeFileSync(
    probe,
    FRAGMENT_IMPORT_SOURCES.map((source, i) => `import * as m${i} from '${source}';`).join('\n') +
      '\n',
  );
  // The exports map of `ws-rooms` is read (`ws-rooms/client`), whatever the settings compiled later.
  const options = ts.convertCompilerOptionsFromJson(compilerOptions('nodenext'), app).options;
  const host = cachingHost();
  const program = ts.createProgram({ rootNames: [probe], options, host });
  const checker = program.getTypeChecker();
  const table = new Map<string, { from: string; value: boolean }>();
  const source = program.getSourceFile(probe)!;
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    const from = (statement.moduleSpecifier as ts.StringLiteral).text;
    const moduleSymbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
    if (moduleSymbol === undefined)
      throw new Error(`the fragment context cannot resolve "${from}"`);
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      if (table.has(symbol.name)) continue;
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      table.set(symbol.name, { from, value: (target.flags & ts.SymbolFlags.Value) !== 0 });
    }
  }
  return { table, host };
}

/** What a fragment becomes: lines before its text, its text (import lines moved out), lines after. */
export interface WrappedFragment {
  readonly before: readonly string[];
  readonly code: string;
  readonly after: readonly string[];
}

/**
 * Turns a fragment into a file: above it, the imports of every identifier it uses that it does not
 * declare at its top level and that one of the packages exports (values with `import`, types with
 * `import type`, as `isolatedModules` with decorator metadata requires). A fragment that awaits at
 * its top level is the body of an async function, its own imports moved above it (their lines left
 * blank, so that lines keep their numbers).
 */
export function wrapFragment(code: string, table: ExportsTable): WrappedFragment {
  const source = ts.createSourceFile('fragment.ts', code, ts.ScriptTarget.Latest, true);
  const declared = new Set<string>();
  const ownImports: ts.ImportDeclaration[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      ownImports.push(statement);
      const clause = statement.importClause;
      if (clause?.name !== undefined) declared.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings))
        declared.add(bindings.name.text);
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) declared.add(element.name.text);
      }
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) declared.add(declaration.name.text);
      }
    } else if (
      (ts.isClassDeclaration(statement) ||
        ts.isFunctionDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name !== undefined
    ) {
      declared.add(statement.name.text);
    }
  }
  const used = new Set<string>();
  let awaitsAtTopLevel = false;
  const visit = (node: ts.Node, inFunction: boolean): void => {
    if (ts.isIdentifier(node)) used.add(node.text);
    if (ts.isAwaitExpression(node) && !inFunction) awaitsAtTopLevel = true;
    const nested = inFunction || ts.isFunctionLike(node) || ts.isClassLike(node);
    ts.forEachChild(node, (child) => visit(child, nested));
  };
  visit(source, false);
  const values = new Map<string, string[]>();
  const types = new Map<string, string[]>();
  for (const name of [...used].sort()) {
    const entry = table.get(name);
    if (entry === undefined || declared.has(name)) continue;
    const group = entry.value ? values : types;
    group.set(entry.from, [...(group.get(entry.from) ?? []), name]);
  }
  const before: string[] = [];
  for (const [from, names] of values) before.push(`import { ${names.join(', ')} } from '${from}';`);
  for (const [from, names] of types) {
    before.push(`import type { ${names.join(', ')} } from '${from}';`);
  }
  if (!awaitsAtTopLevel) return { before, code, after: [] };
  let body = code;
  for (const declaration of [...ownImports].reverse()) {
    const text = declaration.getText(source);
    before.push(text);
    const start = declaration.getStart(source);
    body = body.slice(0, start) + text.replace(/[^\n]/g, '') + body.slice(declaration.getEnd());
  }
  before.push('export async function fragment(): Promise<void> {');
  return { before, code: body, after: ['}'] };
}

interface LintMessage {
  readonly filePath: string;
  readonly line: number;
  readonly column: number;
  readonly ruleId: string;
  readonly message: string;
}

/**
 * Runs ESLint's `no-floating-promises` (typescript-eslint, with type information from the programs
 * already built) on every snippet file, as a Nest app's lint configuration does.
 */
function lint(
  app: string,
  placed: readonly PlacedSnippet[],
  programs: readonly ts.Program[],
): LintMessage[] {
  const linter = new Linter({ cwd: app, configType: 'flat' });
  const config = [
    {
      files: ['**/*.ts'],
      languageOptions: {
        parser: tseslint.parser,
        parserOptions: { programs: [...programs] },
      },
      plugins: { '@typescript-eslint': tseslint.plugin },
      rules: LINT_RULES,
    },
  ] as Linter.Config[];
  return placed.flatMap((entry) => {
    const filePath = join(app, entry.path);
    return linter.verify(readFileSync(filePath, 'utf8'), config, filePath).map((message) => ({
      filePath,
      line: message.line,
      column: message.column,
      ruleId: message.ruleId ?? 'eslint',
      message: message.message,
    }));
  });
}

/** Copies a file of this folder into the application folder. */
export function copyIntoApp(app: string, file: string): string {
  const target = join(app, file);
  copyFileSync(join(__dirname, file), target);
  return target;
}
