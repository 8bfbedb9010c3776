import { BadRequestException, type Logger } from '@nestjs/common';
import type { Connection } from '../../connection/connection';
import { LogBudget } from '../../util/log-budget';
import { createStats } from '../server-stats';
import { HandlerInvoker } from './handler-invoker';

/** The invoker answers through `emit` / `emitMessage` and reads `id` and `closed`. */
function fakeConnection() {
  const emitted: [string, unknown][] = [];
  const connection = {
    id: 'c-1',
    closed: false,
    budget: { pendingHandlers: 0 },
    emit: (event: string, value: unknown) => void emitted.push([event, value]),
    emitMessage: (data: unknown) => void emitted.push(['<native>', data]),
  };
  return { connection: connection as unknown as Connection, emitted };
}

function setup() {
  const errors: string[] = [];
  const logger = { error: (line: string) => void errors.push(line), warn: () => undefined };
  const stats = createStats();
  const invoker = new HandlerInvoker(stats, logger as unknown as Logger, new LogBudget(logger, 2));
  return { invoker, errors, stats };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('HandlerInvoker', () => {
  it('sends a returned value back under the event, and a request reply under its id', async () => {
    const { invoker } = setup();
    const { connection, emitted } = fakeConnection();
    invoker.invoke(connection, 'chat', () => 'hi');
    invoker.invoke(connection, 'chat', async () => ({ event: 'other', data: 1 }));
    invoker.invoke(connection, 'ask', () => undefined, { requestId: 7 });
    invoker.invoke(connection, 'quiet', () => 'ignored', false);
    await settled();
    expect(emitted).toEqual([
      ['chat', 'hi'],
      ['ws-rooms:res', { id: 7, value: null }],
      ['other', 1],
    ]);
  });

  it('turns an HttpException into WS_ROOMS_BAD_REQUEST for the client, and does not log it', async () => {
    const { invoker, errors } = setup();
    const { connection, emitted } = fakeConnection();
    invoker.invoke(connection, 'chat', () => {
      throw new BadRequestException('bad body');
    });
    expect(emitted).toEqual([
      [
        'ws-rooms:error',
        { code: 'WS_ROOMS_BAD_REQUEST', message: 'bad body', event: 'chat', status: 400 },
      ],
    ]);
    expect(errors).toEqual([]);
  });

  it('hides an unexpected error from the client and logs it with the connection and event, within the budget', async () => {
    const { invoker, errors, stats } = setup();
    const { connection, emitted } = fakeConnection();
    for (let i = 0; i < 5; i++) {
      invoker.invoke(connection, 'chat', async () => {
        throw new Error('secret internals');
      });
    }
    await settled();
    expect(emitted).toHaveLength(5);
    expect(emitted[0]).toEqual([
      'ws-rooms:error',
      { code: 'WS_ROOMS_HANDLER_ERROR', message: 'Internal server error', event: 'chat' },
    ]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^handler of "chat" failed for c-1: Error: secret internals/);
    expect(stats.handlerErrors).toBe(5);
  });

  it('idle() waits for running asynchronous handlers', async () => {
    const { invoker } = setup();
    const { connection } = fakeConnection();
    let release!: () => void;
    invoker.invoke(connection, 'slow', () => new Promise<void>((resolve) => (release = resolve)));
    let idle = false;
    void invoker.idle().then(() => (idle = true));
    await settled();
    expect(idle).toBe(false);
    release();
    await settled();
    expect(idle).toBe(true);
  });
});
