import type { ModuleMetadata, Type } from '@nestjs/common';
import type { WsRoomsOptions } from '../options/ws-rooms-options.interface';

/** A class that builds the options, for `forRootAsync({ useClass })`. */
export interface WsRoomsOptionsFactory {
  createWsRoomsOptions(): WsRoomsOptions | Promise<WsRoomsOptions>;
}

/**
 * Options of `WsRoomsModule.forRootAsync`: the endpoint's options come from DI (e.g. `ConfigService`).
 * Exactly one of `useFactory`, `useClass` and `useExisting` must be given.
 */
export interface WsRoomsAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /**
   * The endpoint's name; it must be known before the options are, since it names the injection tokens.
   * @default 'default'
   */
  name?: string;
  /** Builds the options; receives the providers of `inject`. */
  useFactory?: (...args: never[]) => WsRoomsOptions | Promise<WsRoomsOptions>;
  /** Providers passed to `useFactory`. */
  inject?: (string | symbol | Type<unknown>)[];
  /** A class implementing {@link WsRoomsOptionsFactory}, instantiated by the module. */
  useClass?: Type<WsRoomsOptionsFactory>;
  /** An existing provider implementing {@link WsRoomsOptionsFactory}. */
  useExisting?: Type<WsRoomsOptionsFactory>;
}
