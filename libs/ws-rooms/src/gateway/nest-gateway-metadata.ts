/**
 * What Nest's own websocket decorators record, read by value: `@nestjs/websockets` does not export
 * its metadata keys from a public entry point, and their values are the same from Nest 8 to 12.
 */
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';
const MESSAGE_METADATA = 'message';
const GATEWAY_SERVER_METADATA = 'websockets:is_socket';
const GATEWAY_METADATA = 'websockets:is_gateway';

/** The message of a method decorated with Nest's `@SubscribeMessage(message)`, or undefined. */
export function subscribedMessageOf(method: object): { readonly message: unknown } | undefined {
  if (Reflect.getMetadata(MESSAGE_MAPPING_METADATA, method) !== true) return undefined;
  return { message: Reflect.getMetadata(MESSAGE_METADATA, method) as unknown };
}

/** Names of the properties of a gateway decorated with Nest's `@WebSocketServer()`. */
export function webSocketServerProperties(instance: object): string[] {
  const properties: string[] = [];
  // `for...in`, as Nest does: the decorator defines the property on the prototype.
  for (const key in instance) {
    if (Reflect.getMetadata(GATEWAY_SERVER_METADATA, instance, key) === true) properties.push(key);
  }
  return properties;
}

/** True when a class carries Nest's `@WebSocketGateway()`. */
export function isNestWebSocketGateway(metatype: object): boolean {
  return Reflect.getMetadata(GATEWAY_METADATA, metatype) === true;
}
