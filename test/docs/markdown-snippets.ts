import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How the documentation check treats one code block, from the HTML comment right above it:
 * - no comment: a complete file, compiled as it stands;
 * - `<!-- snippet: fragment -->`: a piece of a file; it gets the imports it uses from the packages of
 *   FRAGMENT_IMPORT_SOURCES and the few values of the fragment context, then compiles;
 * - `<!-- snippet: run -->`: a complete file exporting `AppModule`, which the check also starts and
 *   chats with over a real socket;
 * - `<!-- snippet: skip <reason> -->`: not TypeScript (pseudo-code); counted and listed, never compiled.
 */
export type SnippetMode = 'complete' | 'fragment' | 'run' | 'skip';

/** One ```ts / ```typescript block of a markdown file. */
export interface Snippet {
  /** The markdown file, relative to the repository root, with `/` separators. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly mode: SnippetMode;
  /** Why a skipped snippet is skipped. */
  readonly reason?: string;
  /** The file name a leading `// name.ts` comment gives the block, for imports between blocks. */
  readonly fileName?: string;
  /** The block's text, its indentation (inside a list item) removed. */
  readonly code: string;
}

/** A `<!-- snippet: ... -->` comment that names no known mode: a typo must not pass silently. */
export class SnippetDirectiveError extends Error {}

/**
 * The markdown files whose TypeScript blocks must compile: both READMEs and every page of
 * `libs/ws-rooms/docs/`, relative to the repository root.
 */
export function documentedFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'libs', 'ws-rooms', 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `libs/ws-rooms/docs/${name}`);
  return ['README.md', 'libs/ws-rooms/README.md', ...docs];
}

const TYPESCRIPT_FENCES = new Set(['ts', 'typescript']);
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)[^`]*$/;
const DIRECTIVE = /^<!--\s*snippet:\s*(\S+)\s*(.*?)\s*-->$/;
const FILE_NAME_COMMENT = /^\/\/\s*([\w.-]+\.ts)\s*$/;

/** Every TypeScript block of one markdown text, with its mode. */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  let lastText = '';
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) {
      if (lines[i].trim() !== '') lastText = lines[i].trim();
      continue;
    }
    const [, indent, fence, language] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j];
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    if (TYPESCRIPT_FENCES.has(language.toLowerCase())) {
      snippets.push(describe(file, i + 1, body.join('\n'), lastText));
    }
    lastText = '';
    i = j;
  }
  return snippets;
}

function describe(file: string, line: number, code: string, before: string): Snippet {
  const fileName = FILE_NAME_COMMENT.exec(code.split('\n', 1)[0].trim())?.[1];
  const directive = DIRECTIVE.exec(before);
  if (directive === null) return { file, line, mode: 'complete', fileName, code };
  const [, mode, argument] = directive;
  switch (mode) {
    case 'fragment':
    case 'run':
      return { file, line, mode, fileName, code };
    case 'skip':
      if (argument === '') {
        throw new SnippetDirectiveError(`${file}:${line}: "snippet: skip" needs a reason`);
      }
      return { file, line, mode, reason: argument, fileName, code };
    default:
      throw new SnippetDirectiveError(
        `${file}:${line}: unknown snippet mode "${mode}" (fragment, run or skip <reason>)`,
      );
  }
}

/** The TypeScript blocks of every documented file, in file order. */
export function documentedSnippets(root: string): Snippet[] {
  return documentedFiles(root).flatMap((file) =>
    extractSnippets(file, readFileSync(join(root, file), 'utf8')),
  );
}

/** How a test names a snippet: its file and line, and the file name it gives itself. */
export function snippetTitle(snippet: Snippet): string {
  const name = snippet.fileName === undefined ? '' : ` (${snippet.fileName})`;
  return `${snippet.file}:${snippet.line}${name}`;
}
