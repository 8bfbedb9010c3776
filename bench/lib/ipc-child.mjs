/**
 * The child side of the orchestrator's IPC: requests `{ id, cmd, args }` are answered with
 * `{ id, ok, result | error }`; unsolicited events are `{ type, ...data }`.
 * A child exits as soon as its parent goes away, so nothing outlives an interrupted run.
 */
export function serve(handlers) {
  if (!process.send) throw new Error('this script must be started by bench/run.mjs (needs IPC)');
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (msg) => {
    if (!msg || typeof msg.id !== 'number') return;
    const handler = handlers[msg.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const result = await handler(msg.args ?? {});
      process.send({ id: msg.id, ok: true, result });
    } catch (err) {
      process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) });
    }
  });
}

export function emit(type, data = {}) {
  process.send?.({ type, ...data });
}
