/**
 * The target side of the benchmark's IPC. A target is a server under test started by
 * `bench/run.mjs` with an IPC channel; once listening it reports its port, then answers:
 * - `cpu-start` / `cpu-stop`: this process' CPU time (user + system) between the two marks;
 * - `mem`: `process.memoryUsage()` after forced full GCs (needs `--expose-gc`), plus `maxRss`, the
 *   peak resident set size of the process so far, in bytes;
 * - `conns`: open TCP connections on its HTTP server (to know when a load generator is gone).
 * The target exits when the orchestrator goes away.
 */
import type { Server } from 'node:net';

interface Request {
  id: number;
  cmd: string;
}

type Handler = () => unknown;

let cpuMark: NodeJS.CpuUsage | undefined;
let wallMark = 0n;

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('start the target with --expose-gc');
  gc();
}

function nextTick(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function handlers(server: Server): Record<string, Handler> {
  return {
    'cpu-start': () => {
      cpuMark = process.cpuUsage();
      wallMark = process.hrtime.bigint();
      return null;
    },
    'cpu-stop': () => {
      if (!cpuMark) throw new Error('cpu-stop without cpu-start');
      const d = process.cpuUsage(cpuMark);
      const wallUs = Number(process.hrtime.bigint() - wallMark) / 1e3;
      cpuMark = undefined;
      return { userUs: d.user, systemUs: d.system, wallUs, util: (d.user + d.system) / wallUs };
    },
    mem: async () => {
      // Several passes with pauses in between, so weak callbacks and finalizers from the first
      // pass have run and their garbage is collected by the next one.
      for (let i = 0; i < 3; i++) {
        fullGc();
        await nextTick(30);
      }
      fullGc();
      return { ...process.memoryUsage(), maxRss: process.resourceUsage().maxRSS * 1024 };
    },
    conns: () =>
      new Promise<number>((resolve) => server.getConnections((err, n) => resolve(err ? -1 : n))),
  };
}

/** Reports the listening port to the orchestrator and serves its requests. */
export function serveControl(server: Server, name: string): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error(`${name}: start this target through bench/run.mjs (needs IPC)`);
  const table = handlers(server);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: unknown) => {
    const msg = raw as Request;
    if (!msg || typeof msg.id !== 'number') return;
    const handler = table[msg.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${msg.cmd}`);
        return handler();
      })
      .then(
        (result) => send({ id: msg.id, ok: true, result }),
        (err: unknown) => send({ id: msg.id, ok: false, error: String(err) }),
      );
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error(`${name}: not listening on TCP`);
  send({ type: 'ready', name, port: address.port, pid: process.pid });
}

/** The default Iris event-message prefix (docs/protocol.md, "Message grammar"). */
export const IRIS_PREFIX = 'iris-websocket-message:';
