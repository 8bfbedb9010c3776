import type { ArgumentsHost, ExceptionFilter, Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { NEST_EXCEPTION_FILTERS_METADATA, NEST_FILTER_CATCH_EXCEPTIONS } from '../constants';

interface ResolvedFilter {
  readonly filter: ExceptionFilter;
  readonly catches: readonly Type<unknown>[];
}

/**
 * The exception filters of one handler, method filters first, then class filters (later
 * `@UseFilters` first within each level), as Nest orders them for gateways. A filter is tried when its
 * `@Catch()` list is empty or names a class the error is an instance of. ws-rooms owns this step
 * (instead of Nest's external filter chain, which re-throws after a filter that returns nothing) so
 * that a handled error is never answered twice.
 */
export class GatewayExceptionFilters {
  private constructor(private readonly filters: readonly ResolvedFilter[]) {}

  static forHandler(
    instance: object,
    handler: object,
    moduleRef: ModuleRef,
  ): GatewayExceptionFilters {
    const read = (target: object) =>
      (Reflect.getMetadata(NEST_EXCEPTION_FILTERS_METADATA, target) as
        (ExceptionFilter | Type<ExceptionFilter>)[] | undefined) ?? [];
    const declared = [...read(instance.constructor), ...read(handler)].reverse();
    return new GatewayExceptionFilters(declared.map((entry) => resolve(entry, moduleRef)));
  }

  get isEmpty(): boolean {
    return this.filters.length === 0;
  }

  /**
   * Hands the error to the first matching filter. Returns false when none matched (the caller then
   * answers with the default error event); a filter that throws passes its own error on.
   */
  async handle(error: unknown, host: ArgumentsHost): Promise<boolean> {
    for (const { filter, catches } of this.filters) {
      if (catches.length > 0 && !catches.some((type) => error instanceof type)) continue;
      await filter.catch(error, host);
      return true;
    }
    return false;
  }
}

function resolve(
  entry: ExceptionFilter | Type<ExceptionFilter>,
  moduleRef: ModuleRef,
): ResolvedFilter {
  const filter = typeof entry === 'function' ? instantiate(entry, moduleRef) : entry;
  // `@Catch()` also records its list on the class prototype, because `constructor` does not lead back
  // to the decorated class when a class decorator returned a Proxy or a mixin replaced it (Nest
  // reads the prototype first for the same reason).
  const catches =
    (Reflect.getMetadata(NEST_FILTER_CATCH_EXCEPTIONS, Object.getPrototypeOf(filter) as object) as
      Type<unknown>[] | undefined) ??
    (Reflect.getMetadata(NEST_FILTER_CATCH_EXCEPTIONS, filter.constructor) as
      Type<unknown>[] | undefined) ??
    [];
  return { filter, catches };
}

function instantiate(type: Type<ExceptionFilter>, moduleRef: ModuleRef): ExceptionFilter {
  try {
    // Nest registers `@UseFilters(Class)` classes as injectables of the gateway's module.
    return moduleRef.get(type, { strict: false });
  } catch {
    return new type();
  }
}
