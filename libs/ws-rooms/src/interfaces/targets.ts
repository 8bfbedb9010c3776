import { IRIS_ALL_MARKER, IRIS_NOT_ME_MARKER } from '../protocol/protocol.constants';

/** Target of `to()`: every connection of the endpoint, the sender included (Iris' `All`, `""`). */
export const All = IRIS_ALL_MARKER;

/** Target of `to()`: every connection except the sender (Iris' `NotMe`, also called `Broadcast`). */
export const NotMe = IRIS_NOT_ME_MARKER;

/** Iris' other name for {@link NotMe}. */
export const Broadcast = NotMe;

/** What `to()` accepts: {@link All}, {@link NotMe}, a room name or a connection id. */
export type Target = typeof All | typeof NotMe | (string & {});
