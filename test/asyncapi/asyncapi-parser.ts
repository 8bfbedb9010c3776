import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** One diagnostic of @asyncapi/parser (Spectral's severities, by name). */
export interface ParserDiagnostic {
  readonly severity: 'error' | 'warning' | 'information' | 'hint';
  readonly code: string;
  readonly message: string;
  readonly path: string;
}

/** What the parser's own model says of a document (see parse-asyncapi.mjs). */
export interface ParsedModel {
  readonly title: string;
  readonly version: string;
  readonly servers: readonly { id: string; url: string; protocol: string }[];
  readonly channels: readonly {
    id: string;
    address: string;
    servers: string[];
    messages: string[];
  }[];
  readonly operations: readonly {
    id: string;
    action: string;
    channels: string[];
    messages: string[];
    reply: string[] | null;
  }[];
  readonly schemas: Readonly<
    Record<
      string,
      {
        type: string | null;
        required: string[];
        properties: Record<
          string,
          { type: string | null; minLength: number | null; maxLength: number | null }
        >;
      }
    >
  >;
}

/** The parser's answer: whether it produced a document, and every diagnostic. */
export interface ParseResult {
  readonly parsed: boolean;
  readonly diagnostics: readonly ParserDiagnostic[];
  readonly model: ParsedModel | null;
}

const SCRIPT = join(__dirname, 'parse-asyncapi.mjs');

/**
 * Parses an AsyncAPI document (JSON text) with the real `@asyncapi/parser`, in a child `node`
 * process (the parser is heavy to load through Jest). Bounded: the child is killed after `timeoutMs`.
 */
export function parseAsyncApi(text: string, timeoutMs = 180_000): Promise<ParseResult> {
  return new Promise<ParseResult>((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`@asyncapi/parser did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(
          new Error(`parse-asyncapi.mjs exited with ${code}: ${Buffer.concat(err).toString()}`),
        );
        return;
      }
      resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as ParseResult);
    });
    child.stdin.end(text);
  });
}
