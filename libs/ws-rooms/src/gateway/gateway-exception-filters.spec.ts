import {
  type ArgumentsHost,
  BadRequestException,
  Catch,
  type ExceptionFilter,
  HttpException,
  type Type,
  UseFilters,
} from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { GatewayExceptionFilters } from './gateway-exception-filters';
import { WsRoomsArgumentsHost } from './ws-arguments-host';

/** The order in which filters were called, by name. */
let calls: string[] = [];

/** A catch-all filter recording its name. */
function recordingFilter(name: string): ExceptionFilter {
  return { catch: () => void calls.push(name) };
}

@Catch(TypeError)
class TypeErrorFilter implements ExceptionFilter {
  catch(): void {
    calls.push('TypeErrorFilter');
  }
}

@Catch(HttpException)
class HttpFilter implements ExceptionFilter {
  catch(): void {
    calls.push('HttpFilter');
  }
}

@Catch()
class CatchAllFilter implements ExceptionFilter {
  catch(): void {
    calls.push('CatchAllFilter');
  }
}

/** A ModuleRef that knows no providers: `@UseFilters(Class)` falls back to `new Class()`. */
const emptyModuleRef = {
  get: () => {
    throw new Error('not a provider');
  },
} as unknown as ModuleRef;

const host = (): ArgumentsHost => new WsRoomsArgumentsHost([{ id: 'conn' }, 'payload', 'chat']);

function filtersOf(
  gateway: object,
  method: string,
  moduleRef = emptyModuleRef,
): GatewayExceptionFilters {
  const handler = (gateway as Record<string, object>)[method];
  return GatewayExceptionFilters.forHandler(gateway, handler, moduleRef);
}

describe('GatewayExceptionFilters', () => {
  beforeEach(() => {
    calls = [];
  });

  it('is empty for a handler without filters', async () => {
    class Gateway {
      handle(): void {}
    }
    const filters = filtersOf(new Gateway(), 'handle');
    expect(filters.isEmpty).toBe(true);
    await expect(filters.handle(new Error('x'), host())).resolves.toBe(false);
  });

  it('tries method filters before class filters', async () => {
    @UseFilters(recordingFilter('class'))
    class Gateway {
      @UseFilters(recordingFilter('method'))
      handle(): void {}

      other(): void {}
    }
    const filters = filtersOf(new Gateway(), 'handle');
    expect(filters.isEmpty).toBe(false);
    await expect(filters.handle(new Error('x'), host())).resolves.toBe(true);
    expect(calls).toEqual(['method']);
    // A method without its own filters gets the class filters.
    await filtersOf(new Gateway(), 'other').handle(new Error('x'), host());
    expect(calls).toEqual(['method', 'class']);
  });

  it('falls back to a class filter when the method filter does not @Catch the error', async () => {
    @UseFilters(new CatchAllFilter())
    class Gateway {
      @UseFilters(new TypeErrorFilter())
      handle(): void {}
    }
    const filters = filtersOf(new Gateway(), 'handle');
    await filters.handle(new RangeError('x'), host());
    await filters.handle(new TypeError('x'), host());
    expect(calls).toEqual(['CatchAllFilter', 'TypeErrorFilter']);
  });

  it('within one @UseFilters, tries the last listed filter first, as Nest does', async () => {
    class Gateway {
      @UseFilters(recordingFilter('first'), recordingFilter('second'))
      handle(): void {}
    }
    await filtersOf(new Gateway(), 'handle').handle(new Error('x'), host());
    expect(calls).toEqual(['second']);
  });

  describe('@Catch matching', () => {
    class Gateway {
      @UseFilters(new CatchAllFilter(), new HttpFilter(), new TypeErrorFilter())
      handle(): void {}
    }

    it.each([
      ['a TypeError', new TypeError('x'), 'TypeErrorFilter'],
      ['an HttpException', new HttpException('x', 418), 'HttpFilter'],
      ['a subclass of a caught class', new BadRequestException('x'), 'HttpFilter'],
      ['an error no filter names', new RangeError('x'), 'CatchAllFilter'],
      ['a thrown value that is not an Error', 'plain string', 'CatchAllFilter'],
    ])('gives %s to the first filter that catches it', async (_name, error, expected) => {
      await expect(filtersOf(new Gateway(), 'handle').handle(error, host())).resolves.toBe(true);
      expect(calls).toEqual([expected]);
    });

    it('reports an error that no filter catches as not handled', async () => {
      class Narrow {
        @UseFilters(new TypeErrorFilter(), new HttpFilter())
        handle(): void {}
      }
      await expect(
        filtersOf(new Narrow(), 'handle').handle(new RangeError('x'), host()),
      ).resolves.toBe(false);
      expect(calls).toEqual([]);
    });

    it('reads @Catch through a class decorator that returns a Proxy of the filter class', async () => {
      const proxied = <T extends Type<unknown>>(target: T): T => new Proxy(target, {});
      @Catch(TypeError)
      @proxied
      class ProxiedFilter implements ExceptionFilter {
        catch(): void {
          calls.push('ProxiedFilter');
        }
      }
      class Proxied {
        @UseFilters(new ProxiedFilter())
        handle(): void {}
      }
      const filters = filtersOf(new Proxied(), 'handle');
      await expect(filters.handle(new RangeError('x'), host())).resolves.toBe(false);
      await expect(filters.handle(new TypeError('x'), host())).resolves.toBe(true);
      expect(calls).toEqual(['ProxiedFilter']);
    });
  });

  describe('what a filter does', () => {
    it('counts a filter that returns undefined as having handled the error', async () => {
      const filter: ExceptionFilter = { catch: () => undefined };
      class Gateway {
        @UseFilters(filter)
        handle(): void {}
      }
      await expect(filtersOf(new Gateway(), 'handle').handle(new Error('x'), host())).resolves.toBe(
        true,
      );
    });

    it('waits for an asynchronous filter before reporting the error handled', async () => {
      let finish: () => void = () => undefined;
      const filter: ExceptionFilter = {
        catch: () =>
          new Promise<void>((resolve) => {
            finish = () => {
              calls.push('async filter done');
              resolve();
            };
          }),
      };
      class Gateway {
        @UseFilters(filter)
        handle(): void {}
      }
      const handled = filtersOf(new Gateway(), 'handle')
        .handle(new Error('x'), host())
        .then((result) => calls.push(`handled: ${result}`));
      await Promise.resolve();
      expect(calls).toEqual([]);
      finish();
      await handled;
      expect(calls).toEqual(['async filter done', 'handled: true']);
    });

    it('passes on the error a filter throws, without trying the next filter', async () => {
      const failure = new Error('filter failed');
      @UseFilters(recordingFilter('class'))
      class Gateway {
        @UseFilters({
          catch: () => {
            throw failure;
          },
        })
        handle(): void {}
      }
      await expect(filtersOf(new Gateway(), 'handle').handle(new Error('x'), host())).rejects.toBe(
        failure,
      );
      expect(calls).toEqual([]);
    });

    it('hands the filter the error and the ws arguments host', async () => {
      const seen: {
        error: unknown;
        client: unknown;
        data: unknown;
        pattern: string;
        type: string;
      }[] = [];
      const filter: ExceptionFilter = {
        catch: (error, argumentsHost) => {
          const ws = argumentsHost.switchToWs();
          seen.push({
            error,
            client: ws.getClient(),
            data: ws.getData(),
            pattern: ws.getPattern(),
            type: argumentsHost.getType(),
          });
        },
      };
      class Gateway {
        @UseFilters(filter)
        handle(): void {}
      }
      const error = new Error('x');
      await filtersOf(new Gateway(), 'handle').handle(error, host());
      expect(seen).toEqual([
        { error, client: { id: 'conn' }, data: 'payload', pattern: 'chat', type: 'ws' },
      ]);
    });
  });

  describe('filter classes', () => {
    it('takes the instance Nest registered in the module', async () => {
      const registered = new CatchAllFilter();
      const get = jest.fn().mockReturnValue(registered);
      const moduleRef = { get } as unknown as ModuleRef;
      class Gateway {
        @UseFilters(CatchAllFilter)
        handle(): void {}
      }
      await filtersOf(new Gateway(), 'handle', moduleRef).handle(new Error('x'), host());
      expect(get).toHaveBeenCalledWith(CatchAllFilter, { strict: false });
      expect(calls).toEqual(['CatchAllFilter']);
    });

    it('creates the filter itself when the module does not provide it, keeping its @Catch list', async () => {
      class Gateway {
        @UseFilters(HttpFilter)
        handle(): void {}
      }
      const filters = filtersOf(new Gateway(), 'handle');
      await expect(filters.handle(new TypeError('x'), host())).resolves.toBe(false);
      await expect(filters.handle(new HttpException('x', 400), host())).resolves.toBe(true);
      expect(calls).toEqual(['HttpFilter']);
    });
  });
});
