#!/usr/bin/env node
/**
 * Fails when the library's modules import each other in a circle, and prints each circle.
 *
 *   node scripts/check-cycles.mjs [--types] [directory]
 *
 * The graph is built with the TypeScript compiler's parser (no type-check, so it takes about a
 * second): one node per `.ts` file under `directory` (default `libs/ws-rooms/src`, specs and their
 * support files left out, since nothing imports them), one edge per relative specifier of a static
 * `import ... from`, `export ... from`, `import x = require()` or `import()`; package imports are
 * not followed.
 *
 * Type-only imports (`import type`, `export type`, `import { type A }` with every name marked,
 * `import('./x').T` in a type) are left out by default. The compiler erases them, so they cannot
 * change the order in which modules load; a circle of runtime imports can (a class still
 * `undefined` when another module extends it, a constant read before its module has finished).
 * `npm run lint` checks the runtime circles. `--types` counts the type-only imports too, to show
 * the parts tied together by their types as well; `ARCHITECTURE.md` lists those that remain.
 *
 * Exit status: 0 without a cycle, 1 with at least one, 2 on a usage error.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DIRECTORY = join(ROOT, 'libs', 'ws-rooms', 'src');
/** Files that nothing imports: leaving them out keeps the graph to what ships. */
const IGNORED = /\.(?:spec|e2e-spec|spec\.support)\.ts$|\.d\.ts$/;
/** A bound on the files read, so a wrong directory (a whole disk) fails fast instead of crawling. */
const MAX_FILES = 20_000;

/** Every `.ts` file under `directory`, sorted, as absolute paths. */
function sourceFiles(directory) {
  const files = [];
  const pending = [directory];
  while (pending.length > 0) {
    const current = pending.pop();
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.name.endsWith('.ts') && !IGNORED.test(entry.name)) files.push(path);
      if (files.length > MAX_FILES)
        throw new Error(`more than ${MAX_FILES} files under ${directory}`);
    }
  }
  return files.sort();
}

/** True when the import or export brings in types only. */
function isTypeOnly(node) {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (clause === undefined) return false; // `import './x'` runs the module
    if (clause.isTypeOnly) return true;
    if (clause.name !== undefined) return false;
    const bindings = clause.namedBindings;
    return (
      bindings !== undefined &&
      ts.isNamedImports(bindings) &&
      bindings.elements.length > 0 &&
      bindings.elements.every((element) => element.isTypeOnly)
    );
  }
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    const clause = node.exportClause;
    return (
      clause !== undefined &&
      ts.isNamedExports(clause) &&
      clause.elements.length > 0 &&
      clause.elements.every((element) => element.isTypeOnly)
    );
  }
  return false;
}

/** The relative module specifiers of one file, each with whether it is type-only. */
function specifiers(file) {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const found = [];
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter(({ specifier }) => specifier.startsWith('./') || specifier.startsWith('../'));
}

/** The file a relative specifier names: `x.ts`, or `x/index.ts`; undefined outside the graph. */
function resolveSpecifier(from, specifier, known) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

/** The import graph: file -> the files it imports (sorted, without duplicates). */
export function importGraph(directory, { types = false } = {}) {
  const files = sourceFiles(directory);
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const targets = new Set();
    for (const { specifier, typeOnly } of specifiers(file)) {
      if (typeOnly && !types) continue;
      const target = resolveSpecifier(file, specifier, known);
      if (target !== undefined) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/**
 * The strongly connected components of more than one file, or of one file importing itself
 * (Tarjan's algorithm, iterative so that a deep chain cannot overflow the stack).
 */
function tangledComponents(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const components = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = graph.get(frame.node);
      if (frame.next < edges.length) {
        const target = edges[frame.next++];
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node), index.get(target)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent), low.get(frame.node)));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || graph.get(frame.node).includes(frame.node)) {
          components.push(component.sort());
        }
      }
    }
  }
  return components;
}

/** One shortest circle through the first file of a component (breadth-first, inside it). */
function circleThrough(component, graph) {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    for (const target of graph.get(node)) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return [...path, start];
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

/** Every import cycle as a list of files, the first repeated at the end. */
export function findCycles(directory, options) {
  const graph = importGraph(directory, options);
  return tangledComponents(graph).map((component) => circleThrough(component, graph));
}

function main(argv) {
  const args = argv.slice(2);
  const types = args.includes('--types');
  const rest = args.filter((arg) => arg !== '--types');
  if (rest.length > 1 || rest.some((arg) => arg.startsWith('-'))) {
    console.error('usage: node scripts/check-cycles.mjs [--types] [directory]');
    return 2;
  }
  const directory = rest.length === 1 ? resolve(rest[0]) : DEFAULT_DIRECTORY;
  if (!statSync(directory, { throwIfNoEntry: false })?.isDirectory()) {
    console.error(`check-cycles: ${directory} is not a directory`);
    return 2;
  }
  const cycles = findCycles(directory, { types });
  const shown = (file) => relative(ROOT, file).split(sep).join('/');
  const kind = types ? 'imports, type-only ones included' : 'runtime imports';
  if (cycles.length === 0) {
    console.log(`check-cycles: no import cycle under ${shown(directory)} (${kind})`);
    return 0;
  }
  console.error(
    `check-cycles: ${cycles.length} import cycle(s) under ${shown(directory)} (${kind}):`,
  );
  for (const cycle of cycles) console.error(`  ${cycle.map(shown).join('\n    -> ')}`);
  return 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv);
}
