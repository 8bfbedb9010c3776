import { MetadataScanner } from '@nestjs/core';
import {
  NEST_PARAM_ARGS_METADATA,
  NEST_WS_PARAM_PAYLOAD,
  WS_ROOMS_EVENT_METADATA,
  WS_ROOMS_GATEWAY_METADATA,
  WS_ROOMS_NATIVE_METADATA,
} from '../constants';
import type { WsRoomsGatewayMetadata } from '../gateway/decorators/ws-rooms-gateway.decorator';
import { subscribedMessageOf } from '../gateway/nest-gateway-metadata';

/** What a handler reads of a message's payload, from its `@MessageBody()` parameters. */
export type BodyDeclaration =
  /** No `@MessageBody()`: the payload is not read. */
  | { readonly kind: 'none' }
  /** `@MessageBody()`: the whole payload, converted to the parameter's design type. */
  | { readonly kind: 'whole'; readonly type: unknown }
  /** `@MessageBody('name')` parameters only: properties of a JSON object payload. */
  | {
      readonly kind: 'properties';
      readonly properties: readonly { readonly name: string; readonly type: unknown }[];
    };

/** One gateway method that handles messages of an endpoint, as its metadata declares it. */
export interface DescribedHandler {
  /** `Gateway.method`. */
  readonly where: string;
  /** The events it handles (`@OnEvent`, `@SubscribeMessage`), each once; empty for `@OnMessage()` only. */
  readonly events: readonly string[];
  /** It handles native messages (`@OnMessage()`). */
  readonly native: boolean;
  readonly body: BodyDeclaration;
  /** The method's `design:returntype` (undefined without a declared return type, or for `void`). */
  readonly returns: unknown;
}

/** What the scan needs of Nest's provider wrappers (`DiscoveryService.getProviders()`). */
export interface ProviderLike {
  readonly metatype?: unknown;
}

interface ParamMetadata {
  readonly index: number;
  readonly data?: unknown;
}

/**
 * The message handlers of the gateways that serve the endpoint named `endpoint`, in the order the
 * gateway explorer binds them, from the same metadata (`@WsRoomsGateway`, `@OnEvent`,
 * `@SubscribeMessage`, `@OnMessage`, `@MessageBody`). Reads classes only, never instances. A class
 * provided twice is described once.
 */
export function describeGatewayHandlers(
  providers: readonly ProviderLike[],
  endpoint: string,
): DescribedHandler[] {
  const scanner = new MetadataScanner();
  const seen = new Set<unknown>();
  const handlers: DescribedHandler[] = [];
  for (const { metatype } of providers) {
    if (typeof metatype !== 'function' || seen.has(metatype)) continue;
    const gateway = Reflect.getMetadata(WS_ROOMS_GATEWAY_METADATA, metatype) as
      WsRoomsGatewayMetadata | undefined;
    if (gateway?.endpoint !== endpoint) continue;
    seen.add(metatype);
    const prototype = metatype.prototype as Record<string, unknown>;
    for (const methodName of scanner.getAllMethodNames(prototype)) {
      const method = prototype[methodName];
      if (typeof method !== 'function') continue;
      const events = eventsOf(method);
      const native = Reflect.getMetadata(WS_ROOMS_NATIVE_METADATA, method) === true;
      if (events.length === 0 && !native) continue;
      handlers.push({
        where: `${metatype.name}.${methodName}`,
        events,
        native,
        body: bodyOf(metatype, prototype, methodName),
        returns: Reflect.getMetadata('design:returntype', prototype, methodName) as unknown,
      });
    }
  }
  return handlers;
}

function eventsOf(method: object): string[] {
  const events = new Set(
    (Reflect.getMetadata(WS_ROOMS_EVENT_METADATA, method) as string[] | undefined) ?? [],
  );
  const subscribed = subscribedMessageOf(method);
  // A message that is not a string fails the start-up in the explorer; nothing to describe here.
  if (typeof subscribed?.message === 'string') events.add(subscribed.message);
  return [...events];
}

function bodyOf(type: object, prototype: object, methodName: string): BodyDeclaration {
  const params = Reflect.getMetadata(NEST_PARAM_ARGS_METADATA, type, methodName) as
    Record<string, ParamMetadata> | undefined;
  const types =
    (Reflect.getMetadata('design:paramtypes', prototype, methodName) as unknown[] | undefined) ??
    [];
  const properties: { name: string; type: unknown }[] = [];
  // Parameter decorators run last parameter first: read them in the parameters' order.
  const entries = Object.entries(params ?? {}).sort(([, a], [, b]) => a.index - b.index);
  for (const [key, param] of entries) {
    if (Number(key.split(':')[0]) !== NEST_WS_PARAM_PAYLOAD) continue;
    if (param.data === undefined || param.data === null) {
      return { kind: 'whole', type: types[param.index] };
    }
    if (typeof param.data === 'string') {
      properties.push({ name: param.data, type: types[param.index] });
    }
  }
  if (properties.length === 0) return { kind: 'none' };
  return { kind: 'properties', properties };
}
