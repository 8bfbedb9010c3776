import type { IncomingMessage } from 'node:http';
import type { ContextType, ExecutionContext, Type } from '@nestjs/common';

type HttpArgumentsHost = ReturnType<ExecutionContext['switchToHttp']>;
type WsArgumentsHost = ReturnType<ExecutionContext['switchToWs']>;
type RpcArgumentsHost = ReturnType<ExecutionContext['switchToRpc']>;

/**
 * The execution context `handshakeGuards` receive: an `http` context whose request is the upgrade
 * request, so guards written for HTTP routes (reading headers, cookies, `request.user`) work as they
 * are. There is no response object: a refusal is answered by ws-rooms with an HTTP status.
 */
export class HandshakeExecutionContext implements ExecutionContext {
  private readonly args: unknown[];

  constructor(
    private readonly request: IncomingMessage,
    private readonly handlerClass: Type<unknown>,
    private readonly handler: (...args: never[]) => unknown,
  ) {
    this.args = [request, undefined, undefined];
  }

  getClass<T = unknown>(): Type<T> {
    return this.handlerClass as Type<T>;
  }

  getHandler(): (...args: never[]) => unknown {
    return this.handler;
  }

  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as T;
  }

  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }

  getType<T extends string = ContextType>(): T {
    return 'http' as T;
  }

  switchToHttp(): HttpArgumentsHost {
    return {
      getRequest: <T>() => this.request as T,
      getResponse: <T>() => undefined as T,
      getNext: <T>() => undefined as T,
    };
  }

  switchToWs(): WsArgumentsHost {
    return {
      getClient: <T>() => this.request as T,
      getData: <T>() => undefined as T,
      getPattern: () => '',
    };
  }

  switchToRpc(): RpcArgumentsHost {
    return { getData: <T>() => undefined as T, getContext: <T>() => this.request as T };
  }
}
