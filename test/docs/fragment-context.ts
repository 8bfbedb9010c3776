/**
 * What a `<!-- snippet: fragment -->` block may use without declaring it.
 *
 * Imports: any name these packages export is imported for the fragment (the first package that
 * exports a name wins), values with `import` and types with `import type`.
 */
export const FRAGMENT_IMPORT_SOURCES: readonly string[] = [
  'ws-rooms',
  'ws-rooms/client',
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/config',
];

/**
 * Values: the variables the documentation's prose names (`c` a connection, `rooms` the rooms
 * service, `client` a modern client, ...) and stand-ins for an application's own code and for
 * packages the repository does not install (`@nestjs/jwt`). A global declaration file, compiled
 * with the fragments only: complete snippets must declare everything they use.
 */
export const FRAGMENT_CONTEXT = `// The context of the documentation's fragments (test/docs/fragment-context.ts).
declare const c: import('ws-rooms').WsConnection;
declare const connection: import('ws-rooms').WsConnection;
declare const rooms: import('ws-rooms').RoomsService;
declare const connections: import('ws-rooms').ConnectionsService;
declare const client: import('ws-rooms/client').WsRoomsClient;
declare const text: string;
declare const otherId: string;
declare const xy: { x: number; y: number };
declare const bytes: Uint8Array;
/** What a page does with what it receives. */
declare function render(text: string): void;
declare function show(state: string): void;

/** An application's own Prometheus registry. */
declare const appRegistry: import('prom-client').Registry;
/** The ioredis client class. */
declare const Redis: typeof import('ioredis').default;
/** An application's own check of an operator's session cookie. */
declare function isOperator(cookie: string | undefined): boolean;
/** Stand-ins for @nestjs/jwt and an application's auth module. */
declare class JwtService {
  verifyAsync(token: string): Promise<{ sub: string }>;
}
declare class AuthModule {}
declare class JwtAuthGuard implements import('@nestjs/common').CanActivate {
  canActivate(context: import('@nestjs/common').ExecutionContext): boolean;
}
/** Reads a token from an upgrade request (an application's own helper). */
declare function tokenFrom(request: import('node:http').IncomingMessage): string;
/** An application's options factory class (forRootAsync's useClass). */
declare class WsOptionsFactory implements import('ws-rooms').WsRoomsOptionsFactory {
  createWsRoomsOptions(): import('ws-rooms').WsRoomsOptions;
}
/** An application's own guard, DTO, service, gateway and controller. */
declare class SignedInGuard implements import('@nestjs/common').CanActivate {
  canActivate(context: import('@nestjs/common').ExecutionContext): boolean;
}
declare class ChatDto {
  room: string;
  text: string;
}
interface Message {
  from: string;
  text: string;
}
declare class MessagesService {
  last(room: string, count: number): Promise<Message[]>;
}
declare class ChatGateway {}
declare class ChatController {}
`;
