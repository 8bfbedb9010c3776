/**
 * Child processes of a benchmark run: forked with an IPC channel, tracked in one set, and all
 * killed (SIGKILL, by pid) when the run ends for any reason: normal exit, error or Ctrl-C.
 */
import { fork } from 'node:child_process';

const live = new Set();
const TAIL = 4000;

export class Child {
  constructor(name, proc) {
    this.name = name;
    this.proc = proc;
    this.seq = 0;
    this.pending = new Map();
    this.events = [];
    this.waiters = [];
    this.tail = '';
    this.exitInfo = undefined;
    const keep = (chunk) => {
      this.tail = (this.tail + chunk.toString()).slice(-TAIL);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('message', (msg) => this.#onMessage(msg));
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        live.delete(this);
        this.exitInfo = signal ?? `code ${code}`;
        const err = new Error(`${name} exited (${this.exitInfo})${this.#tailText()}`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        for (const w of this.waiters) w.reject(err);
        this.waiters = [];
        resolve();
      });
    });
    proc.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  #tailText() {
    const t = this.tail.trim();
    return t ? `\n--- last output of ${this.name} ---\n${t}` : '';
  }

  #onMessage(msg) {
    if (msg && typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${this.name}: ${msg.error}`));
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === msg?.type);
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
    else this.events.push(msg);
  }

  /** Sends a command and resolves with the child's answer; rejects on timeout or exit. */
  request(cmd, args = {}, timeoutMs = 10_000) {
    if (this.exitInfo) return Promise.reject(new Error(`${this.name} is gone (${this.exitInfo})`));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: '${cmd}' timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (fn) => (v) => {
        clearTimeout(timer);
        fn(v);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Resolves with the next event of `type` (also one received before the call). */
  next(type, timeoutMs = 10_000) {
    const i = this.events.findIndex((e) => e?.type === type);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    if (this.exitInfo) return Promise.reject(new Error(`${this.name} is gone (${this.exitInfo})`));
    return new Promise((resolve, reject) => {
      const waiter = { type };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no '${type}' within ${timeoutMs} ms${this.#tailText()}`));
      }, timeoutMs);
      waiter.resolve = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
      waiter.reject = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      this.waiters.push(waiter);
    });
  }

  /** Kills the process and waits (bounded) for it to be gone. */
  async kill() {
    if (!this.exitInfo) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 3000))]);
  }
}

export function startChild(name, file, { args = [], execArgv = [], env = {}, cwd } = {}) {
  const proc = fork(file, args, {
    cwd,
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  const child = new Child(name, proc);
  live.add(child);
  return child;
}

/** Tracks a process started some other way (no IPC), so it is killed with the others. */
export function adopt(name, proc) {
  const child = new Child(name, proc);
  live.add(child);
  return child;
}

export function killAll() {
  for (const child of live) {
    try {
      child.proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

let installed = false;

/** Makes sure no child survives the orchestrator, whatever way it ends. */
export function installExitHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      killAll();
      console.error(`\nbench: ${signal}, children killed`);
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    killAll();
    console.error('bench: fatal', err);
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    killAll();
    console.error('bench: fatal (unhandled rejection)', err);
    process.exit(1);
  });
}
