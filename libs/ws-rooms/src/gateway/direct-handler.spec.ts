import 'reflect-metadata';
import { UseGuards, UseInterceptors, UsePipes, ValidationPipe } from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { of } from 'rxjs';
import { MessageIsBinary } from './decorators/message-is-binary.decorator';
import { createDirectHandler, type GlobalEnhancers } from './direct-handler';
import { eventArguments, nativeArguments } from './handler-arguments';

const noGlobals: GlobalEnhancers = {
  getGlobalGuards: () => [],
  getGlobalInterceptors: () => [],
  getGlobalPipes: () => [],
  getGlobalRequestGuards: () => [],
  getGlobalRequestInterceptors: () => [],
  getGlobalRequestPipes: () => [],
};

class AllowAll {
  canActivate(): boolean {
    return true;
  }
}

class Passthrough {
  intercept(_context: unknown, next: { handle(): unknown }): unknown {
    return next.handle();
  }
}

class Gateway {
  plain(@ConnectedSocket() socket: unknown, @MessageBody() body: unknown): unknown[] {
    return [socket, body];
  }

  property(@MessageBody('name') name: string): string {
    return `hello ${name}`;
  }

  observable(): unknown {
    return of(1, 2, 3);
  }

  @UseGuards(AllowAll)
  guarded(): string {
    return 'guarded';
  }

  @UseInterceptors(Passthrough)
  intercepted(): string {
    return 'intercepted';
  }

  piped(@MessageBody(new ValidationPipe()) body: unknown): unknown {
    return body;
  }
}

class NativeGateway {
  native(@MessageIsBinary() isBinary: boolean, @MessageBody() data: unknown): unknown[] {
    return [isBinary, data];
  }
}

@UsePipes(new ValidationPipe())
class PipedGateway {
  plain(@MessageBody() body: unknown): unknown {
    return body;
  }
}

function direct(instance: object, name: string, globals: GlobalEnhancers | undefined = noGlobals) {
  const method = (instance as Record<string, (...args: unknown[]) => unknown>)[name];
  return createDirectHandler(instance, name, method, globals);
}

describe('createDirectHandler', () => {
  const gateway = new Gateway();

  it('calls an enhancer-free handler directly with the connection and the payload', () => {
    const handler = direct(gateway, 'plain')!;
    expect(handler('connection', { a: 1 }, 'plain')).toEqual(['connection', { a: 1 }]);
  });

  it('picks a property of the body for @MessageBody(property)', () => {
    expect(direct(gateway, 'property')!(null, { name: 'iris' }, 'property')).toBe('hello iris');
    expect(direct(gateway, 'property')!(null, 'not an object', 'property')).toBe('hello undefined');
  });

  it("resolves an observable's last value", async () => {
    await expect(direct(gateway, 'observable')!(null, null, 'observable')).resolves.toBe(3);
  });

  it.each(['guarded', 'intercepted', 'piped'])('leaves %s to Nest’s pipeline', (name) => {
    expect(direct(gateway, name)).toBeNull();
  });

  it('gives @MessageIsBinary() the frame kind of a native message', () => {
    const handler = direct(new NativeGateway(), 'native')!;
    expect(handler(...nativeArguments('connection', 'data', true))).toEqual([true, 'data']);
    expect(handler(...nativeArguments('connection', 'data', false))).toEqual([false, 'data']);
    expect(handler(...eventArguments('connection', 'data', 'event'))).toEqual([false, 'data']);
  });

  it('leaves handlers of a class with enhancers to the pipeline', () => {
    expect(direct(new PipedGateway(), 'plain')).toBeNull();
  });

  it('leaves every handler to the pipeline when globals exist or cannot be seen', () => {
    expect(createDirectHandler(gateway, 'plain', gateway.plain, undefined)).toBeNull();
    expect(
      direct(gateway, 'plain', { ...noGlobals, getGlobalPipes: () => [new ValidationPipe()] }),
    ).toBeNull();
    expect(
      direct(gateway, 'plain', { ...noGlobals, getGlobalRequestGuards: () => [{}] }),
    ).toBeNull();
  });
});
