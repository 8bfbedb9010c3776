import { isObservable, lastValueFrom } from 'rxjs';
import {
  NEST_PARAM_ARGS_METADATA,
  NEST_WS_PARAM_PAYLOAD,
  NEST_WS_PARAM_SOCKET,
} from '../constants';
import { WS_ROOMS_PARAM_IS_BINARY } from './decorators/message-is-binary.decorator';
import { isBinaryArgument } from './handler-arguments';

// Nest's metadata keys of @UseGuards / @UseInterceptors / @UsePipes (stable since Nest 5).
const ENHANCER_KEYS = ['__guards__', '__interceptors__', '__pipes__'] as const;

interface ParamMetadata {
  readonly index: number;
  readonly data?: unknown;
  readonly pipes?: readonly unknown[];
}

/** The global enhancers of the app, as far as they can be seen. */
export interface GlobalEnhancers {
  getGlobalGuards(): readonly unknown[];
  getGlobalInterceptors(): readonly unknown[];
  getGlobalPipes(): readonly unknown[];
  getGlobalRequestGuards(): readonly unknown[];
  getGlobalRequestInterceptors(): readonly unknown[];
  getGlobalRequestPipes(): readonly unknown[];
}

/** A handler called with its `HandlerArguments` (see handler-arguments.ts) spread. */
export type GatewayHandler = (...args: unknown[]) => unknown;

/** What one parameter of a direct handler receives. */
type Binding =
  | { readonly index: number; readonly kind: 'socket' }
  | { readonly index: number; readonly kind: 'isBinary' }
  | { readonly index: number; readonly kind: 'payload'; readonly property: string | undefined };

/**
 * The fast path for the common handler that has no guard, interceptor or pipe anywhere (method,
 * class or global) and only `@ConnectedSocket()` / `@MessageBody()` / `@MessageIsBinary()`
 * parameters: it is called directly, skipping the promise layers of Nest's context pipeline, which
 * for such a handler do nothing but cost a third of a request/reply round trip. Any enhancer, custom parameter decorator,
 * or globals that cannot be inspected, and the handler goes through Nest's pipeline instead
 * (returns null).
 */
export function createDirectHandler(
  instance: object,
  methodName: string,
  method: (...args: unknown[]) => unknown,
  globals: GlobalEnhancers | undefined,
): GatewayHandler | null {
  if (globals === undefined || hasGlobalEnhancers(globals)) return null;
  for (const key of ENHANCER_KEYS) {
    if (hasItems(Reflect.getMetadata(key, instance.constructor))) return null;
    if (hasItems(Reflect.getMetadata(key, method))) return null;
  }
  const params =
    (Reflect.getMetadata(NEST_PARAM_ARGS_METADATA, instance.constructor, methodName) as
      Record<string, ParamMetadata> | undefined) ?? {};
  const bindings: Binding[] = [];
  for (const [key, param] of Object.entries(params)) {
    const type = Number(key.split(':')[0]);
    if (hasItems(param.pipes)) return null;
    if (type === NEST_WS_PARAM_SOCKET) bindings.push({ index: param.index, kind: 'socket' });
    else if (type === WS_ROOMS_PARAM_IS_BINARY) {
      bindings.push({ index: param.index, kind: 'isBinary' });
    } else if (type === NEST_WS_PARAM_PAYLOAD) {
      const property =
        param.data !== undefined && param.data !== null ? String(param.data) : undefined;
      bindings.push({ index: param.index, kind: 'payload', property });
    } else return null;
  }
  const length = bindings.reduce((max, binding) => Math.max(max, binding.index + 1), 0);
  return (...handlerArgs) => {
    const [connection, payload] = handlerArgs;
    const args = new Array<unknown>(length);
    for (const binding of bindings) {
      if (binding.kind === 'socket') args[binding.index] = connection;
      else if (binding.kind === 'isBinary') args[binding.index] = isBinaryArgument(handlerArgs);
      else if (binding.property === undefined) args[binding.index] = payload;
      else {
        args[binding.index] =
          typeof payload === 'object' && payload !== null
            ? (payload as Record<string, unknown>)[binding.property]
            : undefined;
      }
    }
    const result = method.apply(instance, args);
    return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
  };
}

function hasGlobalEnhancers(globals: GlobalEnhancers): boolean {
  return (
    hasItems(globals.getGlobalGuards()) ||
    hasItems(globals.getGlobalInterceptors()) ||
    hasItems(globals.getGlobalPipes()) ||
    hasItems(globals.getGlobalRequestGuards()) ||
    hasItems(globals.getGlobalRequestInterceptors()) ||
    hasItems(globals.getGlobalRequestPipes())
  );
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}
