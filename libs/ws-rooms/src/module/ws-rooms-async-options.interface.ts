import type { ModuleMetadata, Type } from '@nestjs/common';
import type { WsRoomsOptions } from '../options/ws-rooms-options.interface';

/** A class that builds the options, for `forRootAsync({ useClass })`. */
export interface WsRoomsOptionsFactory<TPrincipal = unknown> {
  /** Builds the endpoint's options (called once, when the module starts). */
  createWsRoomsOptions(): WsRoomsOptions<TPrincipal> | Promise<WsRoomsOptions<TPrincipal>>;
}

/**
 * Options of `WsRoomsModule.forRootAsync`: the endpoint's options come from DI (e.g. `ConfigService`).
 * Exactly one of `useFactory`, `useClass` and `useExisting` must be given. `TPrincipal` is what the
 * options' `authenticate` accepts with (inferred from the factory).
 */
export interface WsRoomsAsyncOptions<TPrincipal = unknown> extends Pick<ModuleMetadata, 'imports'> {
  /**
   * The endpoint's name; it must be known before the options are, since it names the injection tokens.
   * @default 'default'
   */
  name?: string;
  /** Builds the options; receives the providers of `inject`. */
  useFactory?: (
    ...args: never[]
  ) => WsRoomsOptions<TPrincipal> | Promise<WsRoomsOptions<TPrincipal>>;
  /** Providers passed to `useFactory`. */
  inject?: (string | symbol | Type<unknown>)[];
  /** A class implementing {@link WsRoomsOptionsFactory}, instantiated by the module. */
  useClass?: Type<WsRoomsOptionsFactory<TPrincipal>>;
  /** An existing provider implementing {@link WsRoomsOptionsFactory}. */
  useExisting?: Type<WsRoomsOptionsFactory<TPrincipal>>;
}
