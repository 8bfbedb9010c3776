import 'reflect-metadata';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  ForbiddenException,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApplicationConfig,
  ExternalContextCreator,
  type ModuleRef,
  NestContainer,
} from '@nestjs/core';
import { MessageBody } from '@nestjs/websockets';
import { MessageIsBinary } from './decorators/message-is-binary.decorator';
import { GatewayHandlerFactory } from './gateway-handler-factory';
import { eventArguments, nativeArguments } from './handler-arguments';

const original = new Error('thrown by the handler');
/** What each filter saw: the error, and the host's view of the arguments. */
const seen: { error: unknown; data: unknown; pattern: unknown }[] = [];

function record(error: unknown, host: ArgumentsHost): void {
  const ws = host.switchToWs();
  seen.push({ error, data: ws.getData(), pattern: ws.getPattern() });
}

@Catch(RangeError)
class RangeErrorOnly implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    record(error, host);
  }
}

@Catch()
class Handles implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    record(error, host);
  }
}

const translated = new Error('thrown by the filter');

@Catch()
class Translates implements ExceptionFilter {
  catch(): void {
    throw translated;
  }
}

class Refuse {
  canActivate(): boolean {
    return false;
  }
}

class Gateway {
  plain(): never {
    throw original;
  }

  @UseFilters(new RangeErrorOnly())
  notCaught(): never {
    throw original;
  }

  @UseFilters(new Handles())
  handled(@MessageBody() body: unknown): never {
    void body;
    throw original;
  }

  @UseFilters(new Handles())
  nativeHandled(@MessageBody() data: unknown, @MessageIsBinary() isBinary: boolean): never {
    void data;
    void isBinary;
    throw original;
  }

  @UseFilters(new Translates())
  translated(): never {
    throw original;
  }

  @UseGuards(new Refuse())
  guarded(): string {
    return 'never';
  }

  @UseGuards(new Refuse())
  @UseFilters(new RangeErrorOnly())
  guardedWithFilter(): string {
    return 'never';
  }
}

/** A real context creator of an empty application: no global enhancers. */
const factory = new GatewayHandlerFactory(
  ExternalContextCreator.fromContainer(new NestContainer(new ApplicationConfig())),
  { get: () => undefined } as unknown as ModuleRef,
);
const gateway = new Gateway();

function handlerOf(name: keyof Gateway): (...args: unknown[]) => unknown {
  const method = gateway[name] as (...args: unknown[]) => unknown;
  return factory.create(gateway, name, method);
}

/** What calling a handler throws or rejects with. */
async function failureOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('GatewayHandlerFactory: what the server receives when a handler fails', () => {
  beforeEach(() => {
    seen.length = 0;
  });

  it('the very error thrown, without filters (direct path)', async () => {
    const handler = handlerOf('plain');
    expect(await failureOf(() => handler(...eventArguments('c', 'p', 'plain')))).toBe(original);
  });

  it('the very error thrown, when no filter catches it', async () => {
    const handler = handlerOf('notCaught');
    expect(await failureOf(() => handler(...eventArguments('c', 'p', 'x')))).toBe(original);
    expect(seen).toEqual([]);
  });

  it('nothing, when a filter handled it; the filter sees the payload and the event', async () => {
    await expect(handlerOf('handled')(...eventArguments('c', 'payload', 'ev'))).resolves.toBe(
      undefined,
    );
    expect(seen).toEqual([{ error: original, data: 'payload', pattern: 'ev' }]);
  });

  it('a native message has no pattern for the filter (the frame kind is not mistaken for one)', async () => {
    await handlerOf('nativeHandled')(...nativeArguments('c', 'data', true));
    expect(seen).toEqual([{ error: original, data: 'data', pattern: undefined }]);
  });

  it("the filter's own error, with the handler's error as its cause", async () => {
    const error = await failureOf(() => handlerOf('translated')(...eventArguments('c', 'p', 'x')));
    expect(error).toBe(translated);
    expect((error as Error).cause).toBe(original);
  });

  it("a guard's refusal as the guard threw it, through Nest's pipeline, filters or not", async () => {
    for (const name of ['guarded', 'guardedWithFilter'] as const) {
      const error = await failureOf(() => handlerOf(name)(...eventArguments('c', 'p', name)));
      expect(error).toBeInstanceOf(ForbiddenException);
    }
  });
});
