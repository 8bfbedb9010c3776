import {
  type ArgumentsHost,
  type CallHandler,
  Catch,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
  type NestInterceptor,
  Module,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { IsInt, IsString, Max, MinLength } from 'class-validator';
import { map, type Observable } from 'rxjs';
import {
  ConnectedSocket,
  MessageBody,
  MessageIsBinary,
  OnEvent,
  OnMessage,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { ProtocolClient } from './support/protocol-client';
import { type RunningApp, startApp } from './support/test-app';

class ChatDto {
  @IsString()
  @MinLength(1)
  text!: string;

  @IsInt()
  @Max(10)
  priority!: number;
}

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const client = context.switchToWs().getClient<WsConnection>();
    const data = context.switchToWs().getData<{ token?: string }>();
    expect(context.getType()).toBe('ws');
    return client.headers['x-role'] === 'admin' || data?.token === 'letmein';
  }
}

/** A global guard (APP_GUARD) that refuses one event everywhere. */
@Injectable()
class GlobalGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getPattern() !== 'globally-forbidden';
  }
}

@Injectable()
class UppercaseInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value) => String(value).toUpperCase()));
  }
}

@Catch(WsException)
class WsExceptionToEvent implements ExceptionFilter {
  catch(exception: WsException, host: ArgumentsHost): void {
    const client = host.switchToWs().getClient<WsConnection>();
    client.emit('filtered', {
      error: exception.getError(),
      pattern: host.switchToWs().getPattern(),
      type: host.getType(),
    });
  }
}

@Catch()
class CatchAllOnMethod implements ExceptionFilter {
  catch(exception: Error, host: ArgumentsHost): void {
    host.switchToWs().getClient<WsConnection>().emit('method-filter', exception.message);
  }
}

@WsRoomsGateway()
@UseFilters(WsExceptionToEvent)
class EnhancedGateway {
  @OnEvent('guarded')
  @UseGuards(TokenGuard)
  guarded(): string {
    return 'let in';
  }

  @OnEvent('validated')
  @UsePipes(new ValidationPipe({ transform: true }))
  validated(@MessageBody() dto: ChatDto): string {
    return `${dto instanceof ChatDto}:${dto.text}:${dto.priority}`;
  }

  @OnEvent('intercepted')
  @UseInterceptors(UppercaseInterceptor)
  intercepted(@MessageBody() text: string): string {
    return text;
  }

  @OnEvent('ws-exception')
  wsException(): never {
    throw new WsException({ reason: 'nope' });
  }

  @OnEvent('method-filter')
  @UseFilters(CatchAllOnMethod)
  methodFilter(): never {
    throw new WsException('method level wins');
  }

  @OnEvent('http-exception')
  httpException(): never {
    throw new ForbiddenException('not for you');
  }

  @OnEvent('globally-forbidden')
  globallyForbidden(): string {
    return 'should not run';
  }

  @OnEvent('socket-param')
  socketParam(@ConnectedSocket() c: WsConnection, @MessageBody() body: string): string {
    return `${c.id.length}:${body}`;
  }

  /** A plain Error: the class filter catches WsException only, so the server gets it. */
  @OnEvent('crash')
  crash(): never {
    throw new Error('crash marker 7f3a');
  }

  /** Through Nest's pipeline (a global pipe is installed): the parameter factory resolves it. */
  @OnMessage()
  native(@MessageBody() data: string, @MessageIsBinary() isBinary: boolean): string {
    return `native ${isBinary ? 'binary' : 'text'} frame: ${data}`;
  }
}

@Module({
  imports: [WsRoomsModule.forRoot('/ws')],
  providers: [EnhancedGateway, { provide: APP_GUARD, useClass: GlobalGuard }],
})
class EnhancedModule {}

describe('Nest guards, pipes, interceptors and exception filters on @OnEvent handlers', () => {
  let running: RunningApp;
  let client: ProtocolClient;

  beforeAll(async () => {
    running = await startApp({ imports: [EnhancedModule] }, (app) => {
      // A global ValidationPipe must leave @ConnectedSocket() alone (WsConnection is an interface).
      app.useGlobalPipes(new ValidationPipe());
    });
  });

  beforeEach(async () => {
    client = await ProtocolClient.connect(running.wsUrl());
  });

  afterEach(async () => {
    await client.close();
  });

  afterAll(async () => {
    await running.close();
  });

  async function errorOf(event: string): Promise<Record<string, unknown>> {
    const message = await client.nextEvent('ws-rooms:error');
    const error = JSON.parse(message.payload!) as Record<string, unknown>;
    expect(error.event).toBe(event);
    return error;
  }

  it('a guard that refuses turns into a FORBIDDEN error event; the handler does not run', async () => {
    client.send('guarded', 4, '{}');
    expect(await errorOf('guarded')).toMatchObject({ code: 'WS_ROOMS_FORBIDDEN', status: 403 });
    client.send('guarded', 4, '{"token":"letmein"}');
    expect((await client.nextEvent('guarded')).payload).toBe('let in');
    expect(client.eventsNamed('guarded')).toHaveLength(1);
  });

  it('a guard sees the upgrade headers of the connection', async () => {
    const admin = await ProtocolClient.connect(running.wsUrl(), { headers: { 'x-role': 'admin' } });
    admin.send('guarded', 4, '{}');
    expect((await admin.nextEvent('guarded')).payload).toBe('let in');
    await admin.close();
  });

  it('ValidationPipe validates and transforms the body; failures list every constraint', async () => {
    client.send('validated', 4, JSON.stringify({ text: 'hi', priority: 3 }));
    expect((await client.nextEvent('validated')).payload).toBe('true:hi:3');
    client.send('validated', 4, JSON.stringify({ text: '', priority: 99 }));
    const error = await errorOf('validated');
    expect(error).toMatchObject({ code: 'WS_ROOMS_BAD_REQUEST', status: 400 });
    expect(error.details).toEqual(
      expect.arrayContaining([
        'text must be longer than or equal to 1 characters',
        'priority must not be greater than 10',
      ]),
    );
  });

  it('an interceptor transforms the result sent back', async () => {
    client.emit('intercepted', 'quiet');
    expect((await client.nextEvent('intercepted')).payload).toBe('QUIET');
  });

  it('a class-level exception filter handles its exceptions, and no default error event follows', async () => {
    client.emit('ws-exception', '');
    const filtered = JSON.parse((await client.nextEvent('filtered')).payload!);
    expect(filtered).toEqual({ error: { reason: 'nope' }, pattern: 'ws-exception', type: 'ws' });
    client.emit('intercepted', 'marker');
    await client.nextEvent('intercepted');
    expect(client.eventsNamed('ws-rooms:error')).toHaveLength(0);
  });

  it('a method-level filter takes precedence over the class-level one', async () => {
    client.emit('method-filter', '');
    expect((await client.nextEvent('method-filter')).payload).toBe('method level wins');
    client.emit('intercepted', 'marker');
    await client.nextEvent('intercepted');
    expect(client.eventsNamed('filtered')).toHaveLength(0);
  });

  it('an HttpException without a matching filter becomes an error event with its status', async () => {
    client.emit('http-exception', '');
    expect(await errorOf('http-exception')).toMatchObject({
      code: 'WS_ROOMS_FORBIDDEN',
      message: 'not for you',
      status: 403,
    });
  });

  it('global guards (APP_GUARD) apply to ws-rooms handlers', async () => {
    client.emit('globally-forbidden', '');
    expect(await errorOf('globally-forbidden')).toMatchObject({ code: 'WS_ROOMS_FORBIDDEN' });
  });

  it('a handler error that no filter catches reaches the server as thrown (its own stack in the log)', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error');
    try {
      client.emit('crash', '');
      expect(await errorOf('crash')).toEqual({
        code: 'WS_ROOMS_HANDLER_ERROR',
        message: 'Internal server error',
        event: 'crash',
      });
      const lines = logged.mock.calls.map(([line]) => String(line));
      const line = lines.find((text) => text.includes('crash marker 7f3a'));
      expect(line).toMatch(/^handler of "crash" failed for [\w-]+: Error: crash marker 7f3a\n/);
      // The stack is the handler's own: the error was not re-created on the way.
      expect(line).toMatch(/at EnhancedGateway\.crash .*nest-enhancers\.e2e-spec\.ts/);
    } finally {
      logged.mockRestore();
    }
  });

  it('an error a filter handled is not reported again: no error event, no log line', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error');
    try {
      client.emit('ws-exception', '');
      await client.nextEvent('filtered');
      client.emit('intercepted', 'marker');
      await client.nextEvent('intercepted');
      expect(client.eventsNamed('ws-rooms:error')).toHaveLength(0);
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });

  it('@MessageIsBinary() resolves through Nest’s pipeline too', async () => {
    client.sendRaw('hello');
    expect((await client.next((m) => m.event === undefined)).raw.toString()).toBe(
      'native text frame: hello',
    );
    client.sendRaw(Buffer.from('hello'), true);
    expect((await client.next((m) => m.event === undefined)).raw.toString()).toBe(
      'native binary frame: hello',
    );
  });

  it('a global ValidationPipe does not touch @ConnectedSocket()', async () => {
    client.emit('socket-param', 'ok');
    expect((await client.nextEvent('socket-param')).payload).toBe('22:ok');
  });
});
