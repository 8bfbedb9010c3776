import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { RedisRoomStoreOptions } from '../../../libs/ws-rooms/src';

const FIXTURE = join(__dirname, '..', 'fixtures', 'cluster-node.ts');

/** A cluster node running in a child process (see `fixtures/cluster-node.ts`). */
export interface ChildNode {
  readonly process: ChildProcess;
  readonly port: number;
  readonly nodeId: string;
  wsUrl(path?: string): string;
  /** Freezes the process: its sockets stay open, it answers nothing and stops its heartbeat. */
  freeze(): void;
  /** Lets a frozen process run again. */
  thaw(): void;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
}

/** Which fixture module the child runs (see `fixtures/cluster-node.ts`). */
export type ChildModule = 'semantics' | 'extensions';

/** Forks a node and waits (bounded) until it listens. */
export function startChildNode(
  options: Omit<RedisRoomStoreOptions, 'client' | 'logger' | 'scheduler'>,
  timeoutMs = 30_000,
  module: ChildModule = 'semantics',
): Promise<ChildNode> {
  const child = fork(FIXTURE, [], {
    execArgv: ['-r', '@swc-node/register'],
    env: {
      ...process.env,
      WS_ROOMS_CHILD_NODE: JSON.stringify(options),
      WS_ROOMS_CHILD_MODULE: module,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child node not listening within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child node exited (${code ?? signal}) before listening:\n${output}`));
    });
    child.once('message', (message: { port: number; nodeId: string }) => {
      clearTimeout(timer);
      resolve({
        process: child,
        port: message.port,
        nodeId: message.nodeId,
        wsUrl: (path = '/ws') => `ws://127.0.0.1:${message.port}${path}`,
        freeze: () => child.kill('SIGSTOP'),
        thaw: () => child.kill('SIGCONT'),
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGCONT');
            child.kill('SIGKILL');
          }
          await exited;
        },
      });
    });
  });
}
