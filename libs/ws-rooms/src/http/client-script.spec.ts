import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { CLIENT_SCRIPT_FILE, loadClientScript } from './client-script';

const ROOT = path.resolve(__dirname, '../../../..');

describe('loadClientScript', () => {
  let dir: string;
  let file: string;
  const text = `/*! test */ ${'window.Ws = function Ws(url) { this.url = url; };\n'.repeat(200)}`;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ws-rooms-script-'));
    file = path.join(dir, 'iris-ws.js');
    writeFileSync(file, text);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the file as it is, and brotli and gzip bodies that decode back to it', () => {
    const { bodies } = loadClientScript(file);
    expect(bodies.identity.bytes.toString('utf8')).toBe(text);
    expect(brotliDecompressSync(bodies.br.bytes).toString('utf8')).toBe(text);
    expect(gunzipSync(bodies.gzip.bytes).toString('utf8')).toBe(text);
    expect(bodies.br.bytes.length).toBeLessThan(bodies.gzip.bytes.length);
    expect(bodies.gzip.bytes.length).toBeLessThan(text.length / 10);
    expect([bodies.identity.coding, bodies.gzip.coding, bodies.br.coding]).toEqual([
      'identity',
      'gzip',
      'br',
    ]);
  });

  it('gives each body its own strong ETag, the same for the same bytes', () => {
    const { bodies } = loadClientScript(file);
    const tags = [bodies.identity.etag, bodies.gzip.etag, bodies.br.etag];
    for (const tag of tags) expect(tag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(new Set(tags).size).toBe(3);
    const again = loadClientScript(file).bodies;
    expect([again.identity.etag, again.gzip.etag, again.br.etag]).toEqual(tags);
  });

  it("takes Last-Modified from the file's modification time", () => {
    expect(loadClientScript(file).lastModified).toBe(statSync(file).mtime.toUTCString());
  });

  it('reads and compresses the served script once', () => {
    if (!existsSync(CLIENT_SCRIPT_FILE)) {
      execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-client.mjs')], {
        cwd: ROOT,
        stdio: 'pipe',
        timeout: 30_000,
      });
    }
    const first = loadClientScript();
    expect(loadClientScript()).toBe(first);
    expect(loadClientScript(CLIENT_SCRIPT_FILE)).toBe(first);
  });

  it('names the build command when the script is missing', () => {
    expect(() => loadClientScript(path.join(dir, 'missing.js'))).toThrow(
      /missing\.js is missing; build it with "npm run build:client"/,
    );
  });
});
