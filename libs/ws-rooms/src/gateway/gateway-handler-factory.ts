import type { ExternalContextCreator, ModuleRef } from '@nestjs/core';
import { NEST_PARAM_ARGS_METADATA } from '../constants';
import { createDirectHandler, type GatewayHandler, type GlobalEnhancers } from './direct-handler';
import { GatewayExceptionFilters } from './gateway-exception-filters';
import { WsRoomsArgumentsHost } from './ws-arguments-host';
import { WsParamsFactory } from './ws-params.factory';

type NestHandler = (...args: unknown[]) => Promise<unknown>;

const GLOBAL_ENHANCER_GETTERS: readonly (keyof GlobalEnhancers)[] = [
  'getGlobalGuards',
  'getGlobalInterceptors',
  'getGlobalPipes',
  'getGlobalRequestGuards',
  'getGlobalRequestInterceptors',
  'getGlobalRequestPipes',
];

/**
 * Turns a gateway method into a function called with its `HandlerArguments`: guards, interceptors and pipes through Nest's context creator (or the direct path when
 * there are none), then the handler's exception filters (ours, see {@link GatewayExceptionFilters}).
 *
 * What the server receives when the handler fails: the very error thrown (same object, so its stack
 * and `cause` reach the server's log) when no filter catches it; nothing when a filter handled it
 * (the filter answered); the filter's own error when a filter throws, with the original error as
 * its `cause` unless the filter set one.
 */
export class GatewayHandlerFactory {
  private readonly paramsFactory = new WsParamsFactory();
  private readonly globals: GlobalEnhancers | undefined;

  constructor(
    private readonly contextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
  ) {
    this.globals = globalEnhancersOf(contextCreator);
  }

  create(
    instance: object,
    methodName: string,
    method: (...args: unknown[]) => unknown,
  ): GatewayHandler {
    const handler: GatewayHandler =
      createDirectHandler(instance, methodName, method, this.globals) ??
      (this.contextCreator.create(
        instance,
        method,
        methodName,
        NEST_PARAM_ARGS_METADATA,
        this.paramsFactory,
        undefined,
        undefined,
        { guards: true, interceptors: true, filters: false },
        'ws',
      ) as NestHandler);
    const filters = GatewayExceptionFilters.forHandler(instance, method, this.moduleRef);
    if (filters.isEmpty) return handler;
    return async (...args) => {
      try {
        return await handler(...args);
      } catch (error) {
        const host = new WsRoomsArgumentsHost(args);
        let handled: boolean;
        try {
          handled = await filters.handle(error, host);
        } catch (filterError) {
          throw withCause(filterError, error);
        }
        if (handled) return undefined;
        throw error;
      }
    };
  }
}

/**
 * The app's global enhancers, read from the application config Nest gives its context creator;
 * undefined (every handler then takes Nest's pipeline) when that is not visible.
 */
function globalEnhancersOf(contextCreator: ExternalContextCreator): GlobalEnhancers | undefined {
  const config = (contextCreator as unknown as { container?: { applicationConfig?: unknown } })
    .container?.applicationConfig as Partial<GlobalEnhancers> | undefined;
  if (
    config === undefined ||
    GLOBAL_ENHANCER_GETTERS.some((name) => typeof config[name] !== 'function')
  ) {
    return undefined;
  }
  return config as GlobalEnhancers;
}

/** Keeps the handler's error reachable from the error a filter threw instead (ES2022 `cause`). */
function withCause(filterError: unknown, original: unknown): unknown {
  if (
    filterError !== original &&
    filterError instanceof Error &&
    !Object.prototype.hasOwnProperty.call(filterError, 'cause')
  ) {
    Object.defineProperty(filterError, 'cause', {
      value: original,
      configurable: true,
      writable: true,
      enumerable: false,
    });
  }
  return filterError;
}
