/**
 * The servers under test. Each runs in its own process (TypeScript through @swc-node/register,
 * which emits decorator metadata from the root tsconfig.json), with `--expose-gc` for the memory
 * figures and NODE_ENV=production, and reports its port over IPC once listening on 127.0.0.1.
 */
import path from 'node:path';
import { startChild } from './children.mjs';

export const TARGETS = {
  // The baseline: each message framed once and the same bytes written to every client, one
  // write per message per socket — the practical limit of plain `ws` code on Node.
  'raw-ws': { file: 'raw-ws.ts', client: 'ws', path: '/ws' },
  // raw-ws plus per-turn write coalescing (cork/uncork), the technique ws-rooms uses: a harder bar.
  'raw-ws-corked': {
    file: 'raw-ws.ts',
    client: 'ws',
    path: '/ws',
    env: { BENCH_RAW_WS_BATCH: '1' },
  },
  'raw-ws-naive': { file: 'raw-ws-naive.ts', client: 'ws', path: '/ws' },
  'platform-ws': { file: 'platform-ws.ts', client: 'ws', path: '/ws' },
  socketio: { file: 'socketio.ts', client: 'socket.io', path: '' },
  'ws-rooms': { file: 'ws-rooms.ts', client: 'ws', path: '/ws' },
};

// raw-ws-naive (stringify and send per client) is available with --targets; the default run keeps
// to the peers plus the corked reference, within the 10-minute budget.
export const DEFAULT_TARGETS = ['raw-ws', 'raw-ws-corked', 'platform-ws', 'socketio', 'ws-rooms'];

export const BASELINE = 'raw-ws';
const STARTUP_TIMEOUT_MS = 60_000;

/** Starts target `name` and resolves once it listens: `{ name, child, port, url, client }`. */
export async function startTarget(name, root) {
  const spec = TARGETS[name];
  if (!spec) throw new Error(`unknown target ${name}`);
  const child = startChild(name, path.join(root, 'bench', 'targets', spec.file), {
    cwd: root,
    execArgv: ['--expose-gc', '-r', '@swc-node/register'],
    env: { NODE_ENV: 'production', ...spec.env },
  });
  try {
    const ready = await child.next('ready', STARTUP_TIMEOUT_MS);
    const scheme = spec.client === 'ws' ? 'ws' : 'http';
    return {
      name,
      child,
      port: ready.port,
      pid: ready.pid,
      client: spec.client,
      url: `${scheme}://127.0.0.1:${ready.port}${spec.path}`,
    };
  } catch (err) {
    await child.kill();
    throw err;
  }
}
