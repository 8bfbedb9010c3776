import type { ArgumentsHost, ContextType } from '@nestjs/common';

type WsArgumentsHost = ReturnType<ArgumentsHost['switchToWs']>;
type HttpArgumentsHost = ReturnType<ArgumentsHost['switchToHttp']>;
type RpcArgumentsHost = ReturnType<ArgumentsHost['switchToRpc']>;

/**
 * The `ArgumentsHost` exception filters receive for a ws-rooms handler: `getType()` is `'ws'`,
 * `switchToWs().getClient()` the connection, `getData()` the payload, `getPattern()` the event
 * (undefined for a native message). The arguments are the handler's `HandlerArguments`.
 */
export class WsRoomsArgumentsHost implements ArgumentsHost {
  constructor(private readonly args: unknown[]) {}

  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as T;
  }

  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }

  getType<T extends string = ContextType>(): T {
    return 'ws' as T;
  }

  switchToWs(): WsArgumentsHost {
    return {
      getClient: <T>() => this.args[0] as T,
      getData: <T>() => this.args[1] as T,
      // The last argument, as Nest's own ExecutionContextHost reads it.
      getPattern: () => this.args[this.args.length - 1] as string,
    };
  }

  switchToHttp(): HttpArgumentsHost {
    return {
      getRequest: <T>() => this.args[0] as T,
      getResponse: <T>() => this.args[1] as T,
      getNext: <T>() => this.args[2] as T,
    };
  }

  switchToRpc(): RpcArgumentsHost {
    return {
      getData: <T>() => this.args[1] as T,
      getContext: <T>() => this.args[0] as T,
    };
  }
}
